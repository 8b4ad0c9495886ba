"""bench/replay_check.py: a run replayed on the machine that made it gives the same bits, a changed record
is caught, and a run whose schedule follows its length is not cut short."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import replay_check

from maae.config import RunConfig
from maae.train import train

SMALL = {
    "data.n": 3, "data.d": 16, "data.hidden": 32, "data.n_train": 512, "data.n_val": 64, "data.n_test": 64,
    "model.m": 6, "model.width": 32, "train.steps": 40, "train.batch_size": 16, "train.log_every": 10,
    "train.checkpoint_every": 20, "train.progress": "none", "train.threads": 1, "train.device": "cpu",
    "train.lambda3_interval": 15,
}  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("replay")
    train(RunConfig().replace(**SMALL, **{"data.root": str(root / "data")}), root / "run")
    return root / "run"


def test_a_run_replays_bit_for_bit_here(run: Path, tmp_path: Path, capsys) -> None:
    assert replay_check.main([str(run), "--json", str(tmp_path / "out.json")]) == 0
    assert "same bits at step 10" in capsys.readouterr().out
    assert '"same": true' in (tmp_path / "out.json").read_text()


def test_a_record_that_differs_is_reported_with_its_gap(run: Path, tmp_path: Path, capsys) -> None:
    changed = tmp_path / "changed"
    changed.mkdir()
    for name in ("config.json", "summary.json"):
        (changed / name).write_text((run / name).read_text())
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    rows[0]["loss_ae"] = repr(float(rows[0]["loss_ae"]) * (1 + 1e-6))
    with (changed / "metrics.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert replay_check.main([str(changed)]) == 1
    out = capsys.readouterr().out
    assert "differs at step 10: 1 values, the largest by 1.00e-06 (relative) in loss_ae" in out


def test_the_replay_keeps_the_whole_runs_schedule() -> None:
    scaled = RunConfig().replace(**SMALL, **{"train.schedule_reference_steps": 20})  # every interval doubled
    replay = replay_check.replay_config(scaled, Path("data"))
    assert isinstance(replay, RunConfig)
    assert (replay.train.steps, replay.train.log_every, replay.train.lambda3_interval) == (20, 20, 30)
    assert replay.train.schedule_reference_steps is None
    milestones = RunConfig().replace(**SMALL, **{"train.lr_drop": "milestones"})
    assert "milestones" in replay_check.replay_config(milestones, Path("data"))


def test_a_folder_that_is_not_a_run_is_refused(tmp_path: Path, capsys) -> None:
    assert replay_check.main([str(tmp_path)]) == 2
    assert "not a run folder (no config.json, summary.json, metrics.csv)" in capsys.readouterr().err
