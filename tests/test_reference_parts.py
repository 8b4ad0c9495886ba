"""workflow/scripts/reference_parts.py: a reference run kept part by part and restored for the next part."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

import reference_parts  # noqa: E402

RUN = Path("runs/synthetic8/maae/m8/seed3")


def results_root(root: Path, scored: bool = True) -> Path:
    run = root / RUN
    run.mkdir(parents=True)
    for name in ("config.json", "metrics.csv", "summary.json", "model.pt", *(["scores.json"] * scored)):
        (run / name).write_text(name)
    (run / "checkpoints").mkdir()
    (run / "checkpoints" / "step_000000100.pt").write_text("weights")
    for stage in ("train", "score"):
        for folder, suffix in (("logs", "log"), ("benchmarks", "tsv")):
            (root / folder / stage / "synthetic8").mkdir(parents=True, exist_ok=True)
            (root / folder / stage / "synthetic8" / f"maae_m8_seed3.{suffix}").write_text(stage)
    (root / "prepared").mkdir()
    (root / "prepared" / "synthetic8.json").write_text("{}")
    return root


def test_keep_copies_scored_runs_without_weights(tmp_path: Path) -> None:
    results, reference = results_root(tmp_path / "results"), tmp_path / "reference"
    assert reference_parts.keep(results, reference) == 1
    kept = reference / RUN
    assert sorted(p.name for p in kept.iterdir()) == [
        "config.json",
        "metrics.csv",
        "scores.json",
        "summary.json",
    ]
    assert (reference / "logs" / "train" / "synthetic8" / "maae_m8_seed3.log").read_text() == "train"
    assert (reference / "benchmarks" / "score" / "synthetic8" / "maae_m8_seed3.tsv").is_file()
    assert (reference / "prepared" / "synthetic8.json").is_file()
    unscored = results_root(tmp_path / "unscored", scored=False)
    assert reference_parts.keep(unscored, tmp_path / "none") == 0  # a run not yet scored is not kept


def test_restore_touches_what_was_made_first_oldest(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reference_parts.keep(results_root(tmp_path / "results"), reference)
    again = tmp_path / "again"
    assert reference_parts.restore(again, reference) == 1
    times = [
        (again / name).stat().st_mtime
        for name in (
            "prepared/synthetic8.json",
            RUN / "config.json",
            RUN / "summary.json",
            RUN / "scores.json",
        )
    ]
    assert times == sorted(times) and len(set(times)) == 4
