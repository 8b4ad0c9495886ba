"""workflow/scripts/gpu_slot.py: on a machine with several GPUs each workflow job gets a device of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

import gpu_slot  # noqa: E402

# A job: take a device, say which and when, hold it for a while.
JOB = (
    "import os, sys, time; sys.path.insert(0, {scripts!r}); import gpu_slot; "
    "gpu_slot.claim(wait_seconds=0.05); "
    "print(os.environ['CUDA_VISIBLE_DEVICES'], time.time(), flush=True); time.sleep({hold})"
)


def start(tmp_path: Path, gpus: str, hold: float) -> subprocess.Popen:
    env = {**os.environ, "MAAE_GPUS": gpus, "MAAE_GPU_LOCKS": str(tmp_path)}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    code = JOB.format(scripts=str(ROOT / "workflow" / "scripts"), hold=hold)
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)


def test_concurrent_jobs_get_different_devices(tmp_path: Path) -> None:
    jobs = [start(tmp_path, "0,1,2", hold=2.0) for _ in range(3)]
    devices = sorted(job.communicate(timeout=60)[0].split()[0] for job in jobs)
    assert devices == ["0", "1", "2"]


def test_a_job_waits_for_a_device_then_takes_the_freed_one(tmp_path: Path) -> None:
    first = start(tmp_path, "5", hold=1.0)
    time.sleep(0.3)
    second = start(tmp_path, "5", hold=0.0)
    (device1, t1), (device2, t2) = (job.communicate(timeout=60)[0].split() for job in (first, second))
    assert device1 == device2 == "5"
    assert float(t2) >= float(t1) + 0.9, "the second job ran on the device the first still held"


def test_nothing_is_chosen_where_the_scheduler_chose_or_no_devices_are_listed(tmp_path: Path) -> None:
    slurm = {"MAAE_GPUS": "0,1", "CUDA_VISIBLE_DEVICES": "3", "MAAE_GPU_LOCKS": str(tmp_path)}
    assert gpu_slot.claim(slurm) is None and slurm["CUDA_VISIBLE_DEVICES"] == "3"
    plain: dict[str, str] = {}
    assert gpu_slot.claim(plain) is None and "CUDA_VISIBLE_DEVICES" not in plain
