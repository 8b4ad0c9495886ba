"""Stale Snakemake locks after a killed run, removed only when provably stale.

A Snakemake process killed with SIGKILL (or a lost machine) leaves .snakemake/locks behind, and the same
command then refuses ("Directory cannot be locked") until ``--unlock``. The workflow's ``onstart`` calls
``record`` (it runs once Snakemake holds its locks); a later start calls ``release``, which removes the
locks only when the recorded process is gone, on this host, and the locks are its own (none newer than its
record). Another host, a live process or no record: nothing is removed, and Snakemake refuses, as it should
when two processes work on one results folder.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path
from typing import Any

PROC = Path(os.sep, "proc")


def process_start(pid: int) -> str | None:
    """A process's start time (clock ticks since boot, Linux), or None where /proc cannot say."""
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def record(owner_file: Path) -> None:
    owner = {"pid": os.getpid(), "host": socket.gethostname(), "start": process_start(os.getpid())}
    owner_file.write_text(json.dumps(owner))


def alive(owner: dict[str, Any]) -> bool:
    try:
        os.kill(owner["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    start = process_start(owner["pid"])
    return start is None or start == owner.get("start")  # another process under the same pid: gone


def release(lock_dir: Path, owner_file: Path) -> dict[str, Any] | None:
    """Remove lock_dir when its locks belong to a recorded process that is gone; returns that record."""
    locks = list(lock_dir.glob("*.lock")) if lock_dir.is_dir() else []
    if not locks or not owner_file.is_file():
        return None
    try:
        owner = json.loads(owner_file.read_text())
        if max(p.stat().st_mtime for p in locks) > owner_file.stat().st_mtime:
            return None
    except (OSError, ValueError):
        return None
    if owner.get("host") != socket.gethostname() or alive(owner):
        return None
    shutil.rmtree(lock_dir, ignore_errors=True)
    return owner
