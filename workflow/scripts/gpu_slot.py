"""One GPU per job on a machine with several: Snakemake limits how many `gpu: 1` jobs run at once
(`--resources gpu=k`) but does not say which device each gets. With ``MAAE_GPUS`` listing the device ids
(e.g. ``MAAE_GPUS=0,1,2,3``), each job takes the first id nobody holds, an exclusive lock on
``<tmp>/maae-gpu-<id>.lock`` kept until the job's process exits (the operating system releases it, also
when the job is killed), and sees only that device (``CUDA_VISIBLE_DEVICES``). Where the scheduler already
chose (SLURM sets ``CUDA_VISIBLE_DEVICES``) or ``MAAE_GPUS`` is unset, nothing changes.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from pathlib import Path
from typing import IO

_held: list[IO[bytes]] = []  # the lock's open file: closing it (process exit) frees the device


def claim(environ: dict[str, str] = os.environ, wait_seconds: float = 1.0) -> str | None:
    """Take a free device from MAAE_GPUS and make it the only visible one; returns its id (None when
    nothing was to be chosen). Waits while every listed device is held."""
    ids = [i.strip() for i in environ.get("MAAE_GPUS", "").split(",") if i.strip()]
    if not ids or environ.get("CUDA_VISIBLE_DEVICES"):
        return None
    folder = Path(environ.get("MAAE_GPU_LOCKS") or tempfile.gettempdir())
    while True:
        for device in ids:
            lock = (folder / f"maae-gpu-{device}.lock").open("ab")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                continue
            _held.append(lock)
            environ["CUDA_VISIBLE_DEVICES"] = device
            return device
        time.sleep(wait_seconds)
