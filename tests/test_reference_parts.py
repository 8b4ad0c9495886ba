"""workflow/scripts/reference_parts.py: a reference run kept part by part and restored for the next part."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

import reference_parts  # noqa: E402

GRID_RUN = Path("runs/synthetic8/maae/m8/seed3")
STUDY_RUN = Path("runs/synthetic4/sensitivity~lambda1=10/maae/m8/seed1")
# where the workflow writes a run's logs and benchmarks (train.smk, studies.smk) and its prepared record
MADE_BY = {
    GRID_RUN: ("{kind}/{stage}/synthetic8/maae_m8_seed3.{suffix}", "prepared/synthetic8.json"),
    STUDY_RUN: (
        "{kind}/studies/sensitivity/{stage}/synthetic4_lambda1=10_maae_m8_seed1.{suffix}",
        "studies/sensitivity/prepared/synthetic4.json",
    ),
}


def made_by(run: Path) -> list[Path]:
    logs, _ = MADE_BY[run]
    return [
        Path(logs.format(kind=kind, stage=stage, suffix=suffix))
        for stage in ("train", "score")
        for kind, suffix in (("logs", "log"), ("benchmarks", "tsv"))
    ]


def results_root(root: Path, run: Path = GRID_RUN, scored: bool = True) -> Path:
    (root / run).mkdir(parents=True)
    for name in ("config.json", "metrics.csv", "summary.json", "model.pt", *(["scores.json"] * scored)):
        (root / run / name).write_text(name)
    (root / run / "checkpoints").mkdir()
    (root / run / "checkpoints" / "step_000000100.pt").write_text("weights")
    for made in made_by(run):
        (root / made).parent.mkdir(parents=True, exist_ok=True)
        (root / made).write_text(made.parts[-2])
    prepared = root / MADE_BY[run][1]
    prepared.parent.mkdir(parents=True, exist_ok=True)
    prepared.write_text("{}")
    return root


@pytest.mark.parametrize("run", [GRID_RUN, STUDY_RUN], ids=["grid", "study"])
def test_keep_copies_scored_runs_without_weights(tmp_path: Path, run: Path) -> None:
    results, reference = results_root(tmp_path / "results", run), tmp_path / "reference"
    assert reference_parts.keep(results, reference) == 1
    kept = reference / run
    assert sorted(p.name for p in kept.iterdir()) == [
        "config.json",
        "metrics.csv",
        "scores.json",
        "summary.json",
    ]
    for made in made_by(run):
        assert (reference / made).read_text() == made.parts[-2], made
    assert (reference / MADE_BY[run][1]).is_file()
    unscored = results_root(tmp_path / "unscored", run, scored=False)
    assert reference_parts.keep(unscored, tmp_path / "none") == 0  # a run not yet scored is not kept


@pytest.mark.parametrize("run", [GRID_RUN, STUDY_RUN], ids=["grid", "study"])
def test_restore_touches_what_was_made_first_oldest(tmp_path: Path, run: Path) -> None:
    reference = tmp_path / "reference"
    reference_parts.keep(results_root(tmp_path / "results", run), reference)
    again = tmp_path / "again"
    assert reference_parts.restore(again, reference) == 1
    times = [
        (again / name).stat().st_mtime
        for name in (MADE_BY[run][1], run / "config.json", run / "summary.json", run / "scores.json")
    ]
    assert times == sorted(times) and len(set(times)) == 4


def test_metric_caches_kept_and_restored(tmp_path: Path) -> None:
    """The LeNet behind fd_lenet goes with the runs, so a later part scores with the very same network."""
    results = results_root(tmp_path / "results", GRID_RUN)
    (results / "metrics_cache").mkdir()
    (results / "metrics_cache" / "lenet_mnist_e2_s0.pt").write_text("weights")
    reference_parts.keep(results, tmp_path / "reference")
    reference_parts.restore(tmp_path / "again", tmp_path / "reference")
    assert (tmp_path / "again" / "metrics_cache" / "lenet_mnist_e2_s0.pt").read_text() == "weights"


def test_grid_and_study_runs_kept_together(tmp_path: Path) -> None:
    results = results_root(tmp_path / "results", GRID_RUN)
    results_root(tmp_path / "study", STUDY_RUN)
    reference_parts.keep(tmp_path / "study", tmp_path / "reference")
    assert reference_parts.keep(results, tmp_path / "reference") == 1
    assert reference_parts.restore(tmp_path / "again", tmp_path / "reference") == 2


def test_times_sums_each_stage_per_data_set_and_study(tmp_path: Path) -> None:
    header = "s\th:m:s\tmax_rss\n"
    for made, seconds in (
        ("benchmarks/train/synthetic8/maae_m8_seed0.tsv", 100.0),
        ("benchmarks/train/synthetic8/maae_m8_seed1.tsv", 300.0),
        ("benchmarks/score/synthetic8/maae_m8_seed0.tsv", 50.0),
        ("benchmarks/studies/sensitivity/train/synthetic4_base_maae_m8_seed0.tsv", 7.0),
        ("benchmarks/prepare/synthetic8.tsv", 9.0),  # neither train nor score: left out
    ):
        (tmp_path / made).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / made).write_text(header + f"{seconds}\t0:00:01\t1.0\n")
    assert reference_parts.times(tmp_path) == [
        "studies/sensitivity train: 1 jobs, 7 s in all, median 7 s, 7-7 s",
        "synthetic8 score: 1 jobs, 50 s in all, median 50 s, 50-50 s",
        "synthetic8 train: 2 jobs, 400 s in all, median 200 s, 100-300 s",
    ]


def test_keep_rendered_copies_what_was_rendered_only_when_asked(tmp_path: Path) -> None:
    results = results_root(tmp_path / "results", GRID_RUN)
    rendered = [
        *("runs.csv", "datasets.json", "tables/table2.md", "figures/fig4a.png", "report/verdict.md"),
        *("runs/synthetic8/runs.csv", "studies/sensitivity/heatmap.png", "studies/sensitivity/cells.csv"),
    ]
    for name in rendered:
        (results / name).parent.mkdir(parents=True, exist_ok=True)
        (results / name).write_text(name)
    reference_parts.keep(results, tmp_path / "runs_only")
    assert not any((tmp_path / "runs_only" / name).exists() for name in rendered)
    reference_parts.keep(results, tmp_path / "whole", rendered=True)
    assert all((tmp_path / "whole" / name).read_text() == name for name in rendered)
    assert not (tmp_path / "whole" / GRID_RUN / "model.pt").exists()
