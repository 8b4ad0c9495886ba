"""Atomic file writes: a killed job leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import torch


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write`` on a temporary file in the target folder, fsync it, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; shared caches must stay readable to others
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        cause = _os_error(err)
        if cause is not None:  # e.g. a full disk: one error that names the file, not torch's zip writer's
            raise type(cause)(cause.errno, cause.strerror, str(path)) from err
        raise
    return path


def _os_error(err: BaseException | None) -> OSError | None:
    """The OSError without a file name behind a failed write: raised by write() itself, or wrapped by
    torch.save (a RuntimeError from its zip writer whose context is the OSError); None for anything else."""
    seen = 0
    while err is not None and seen < 5:
        if isinstance(err, OSError):
            return err if err.errno and err.filename is None else None
        err, seen = err.__cause__ or err.__context__, seen + 1
    return None


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text.encode()))


def write_json(path: str | Path, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def torch_save(path: str | Path, obj: Any) -> Path:
    return atomic_write(path, lambda f: torch.save(obj, f))


def read_cache(path: Path, what: str, **load_kwargs: Any) -> Any | None:
    """A torch-saved cache file, or None when it is missing or damaged (with a warning): a cache is
    always safe to rebuild, so a bad one must never stop a run."""
    if not path.is_file():
        return None
    try:
        return torch.load(path, weights_only=True, **load_kwargs)
    except Exception as err:  # noqa: BLE001 - a damaged file fails in zip, pickle or tensor code alike
        warnings.warn(f"{what} {path} is unreadable ({err}); rebuilding it", stacklevel=3)
        return None
