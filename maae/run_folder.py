"""A run's folder, the contract every stage relies on: one folder per run, written atomically.

``config.json`` (the run it holds; another run's folder is refused, naming every differing key),
``checkpoints/step_*.pt`` (the newest two kept), ``metrics.csv`` (one row every ``log_every`` steps;
on resume the rows past the checkpoint are dropped), then ``model.pt`` and last ``summary.json``, whose
presence means the run finished; ``failure.json`` says why a run stopped short (a non-finite loss) until
it finishes. Training (maae.train) writes it through ``RunFolder``; the workflow
asks ``folder_conflict`` before it plans a run.
"""

from __future__ import annotations

import csv
import json
import logging
from io import StringIO
from pathlib import Path
from typing import IO, Any

import torch

from maae import io, provenance
from maae.config import ConfigError, RunConfig, resolve

log = logging.getLogger("maae.run_folder")

FAILURE_FILE = "failure.json"

# Options that may change between a killed run and its resumption without changing the result.
_RESUMABLE_KEYS = {"device", "threads", "progress", "root", "deterministic"}


class RunFolder:
    """One run's folder: its config, checkpoints, training log and final outputs."""

    def __init__(self, out_dir: str | Path, cfg: RunConfig):
        self.out = Path(out_dir)
        self.cfg = cfg
        self.checkpoints = self.out / "checkpoints"

    def claim(self) -> None:
        """Refuse a folder that holds a different run, else record this one. Called once data and model
        are ready, so a start that fails (e.g. on missing data) leaves nothing that blocks the next one."""
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / "config.json"
        if path.exists():
            conflict = folder_conflict(self.out, self.cfg)
            if conflict:
                raise ConfigError(conflict)
        else:
            io.write_json(path, self.cfg.to_dict())

    def latest_checkpoint(self) -> dict[str, Any] | None:
        """The newest readable checkpoint (a damaged one is skipped with a warning), or None. Read onto the
        CPU whatever the run's device: the state's load copies weights and slots into its own device's
        tensors, and a generator's state must be a CPU tensor (mapped to a GPU, every resume there failed)."""
        for path in sorted(self.checkpoints.glob("step_*.pt"), reverse=True):
            try:
                return torch.load(path, map_location="cpu", weights_only=False)
            except Exception as err:  # noqa: BLE001 - torch.load of a damaged file raises many types
                log.warning("skipping unreadable checkpoint %s (%s)", path, err)
        return None

    def save_checkpoint(self, step: int, state: dict[str, Any]) -> None:
        io.torch_save(self.checkpoints / f"step_{step:09d}.pt", state)
        for old in sorted(self.checkpoints.glob("step_*.pt"))[:-2]:
            old.unlink(missing_ok=True)

    def metrics(self, keep_until: int) -> MetricsLog:
        return MetricsLog(self.out / "metrics.csv", keep_until)

    def fail(self, why: str) -> None:
        """Record why the run stopped: in a pack, the only word a member's failure leaves in its folder."""
        io.write_json(self.out / FAILURE_FILE, {"error": why})

    def finish(self, model: torch.nn.Module, summary: dict[str, Any]) -> dict[str, Any]:
        """model.pt, then summary.json (the run's last file: its presence means the run finished)."""
        io.torch_save(self.out / "model.pt", {"model": model.state_dict(), "config": self.cfg.to_dict()})
        summary = {
            **summary,
            "versions": provenance.package_versions(),
            "config": self.cfg.to_dict(),
        }
        io.write_json(self.out / "summary.json", summary)
        (self.out / FAILURE_FILE).unlink(missing_ok=True)
        return summary


class MetricsLog:
    """metrics.csv, one row every log_every steps; on resume, rows past the checkpoint are dropped."""

    def __init__(self, path: Path, keep_until: int):
        self.path = path
        self.file: IO[str] | None = None
        self.writer: csv.DictWriter | None = None
        if path.exists():
            with path.open(newline="") as f:
                reader = csv.DictReader(f)
                fields = list(reader.fieldnames or [])
                # a row cut short by a kill mid-write (fields missing, or extra ones) is dropped, not read
                whole = (r for r in reader if None not in r and None not in r.values())
                kept = [r for r in whole if int(r["step"]) <= keep_until]
            if fields:
                buf = StringIO()
                writer = csv.DictWriter(buf, fieldnames=fields)
                writer.writeheader()
                writer.writerows(kept)
                io.write_text(path, buf.getvalue())
                self._open(fields, header=False)
                return
        path.unlink(missing_ok=True)

    def _open(self, fields: list[str], header: bool) -> None:
        self.file = self.path.open("a", newline="")
        self.writer = csv.DictWriter(self.file, fieldnames=fields)
        if header:
            self.writer.writeheader()

    def append(self, row: dict[str, Any]) -> None:
        if self.writer is None:
            self._open(list(row), header=True)
        self.writer.writerow(row)
        self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


# What runs made before an option existed did, where that is not the option's default today (the defaults
# that became the authors' on 2026-12-01, 96df84d): a config.json without the key was made that way.
BEFORE_THE_OPTION = {"model": {"init": "xavier"}, "train": {"rmsprop_init": 0.0}}


def folder_conflict(out_dir: str | Path, cfg: RunConfig) -> str | None:
    """Why the run folder's config.json is not the run ``cfg`` describes (every differing key, named), or
    None when it is (or there is no config.json yet). The workflow asks this before planning a run. One
    change may move several keys (the steps, and a schedule written as a fraction of them)."""
    path = Path(out_dir) / "config.json"
    if not path.exists():
        return None
    mine, theirs = resolve(cfg).to_dict(), json.loads(path.read_text())
    defaults = RunConfig().to_dict()  # an option added after the run was made: what the run did then
    differ = []
    for section in ("data", "model", "train"):
        ours = mine[section]
        old = {**defaults[section], **BEFORE_THE_OPTION.get(section, {}), **theirs.get(section, {})}
        for key in sorted((set(ours) | set(old)) - _RESUMABLE_KEYS):
            if ours.get(key) != old.get(key):
                differ.append(
                    f"{section}.{key}: {out_dir} holds a run with {old.get(key)!r}, "
                    f"this config says {ours.get(key)!r}"
                )
    return "; ".join(differ) + "; use another output folder" if differ else None
