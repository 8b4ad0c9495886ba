"""``maae.report.aggregate`` on two real tiny scored runs: runs.csv rows and columns, combining, errors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import M
from test_cli import assert_one_error_line

from maae.config import RunConfig
from maae.metrics.score import ScoreOptions, score_run
from maae.report.aggregate import (
    BACKBONES,
    COLUMN_NAMES,
    aggregate_dataset,
    combine,
    load_manifest,
    load_runs,
    main,
)
from maae.report.stats import final_change
from maae.scales import run_dir
from maae.train import train

SMALL = ScoreOptions(n_samples=64, n_real=64, n_codes=100, kde_n_fit=128, kde_n_val=64)
MISSING_REASON = "data set missing: no CIFAR-10 batches under data/cifar-10-batches-py"


def manifest() -> dict[str, Any]:
    return {
        "scale": "smoke",
        "config": "config/smoke.yaml",
        "code_version": "abc",
        "datasets": {
            "synthetic3": {
                "data": "synthetic", "n": 3, "status": "ok", "reason": None, "models": ["maae", "wae"],
                "m": [M], "seeds": [0], "capacity": M, "metric": "fd_raw", "steps": 20,
            },
            "cifar10": {
                "data": "cifar10", "n": None, "status": "missing", "reason": MISSING_REASON,
                "models": ["maae", "wae"], "m": [8], "seeds": [0], "capacity": 8, "metric": "fid",
                "steps": 20,
            },
        },
    }  # fmt: skip


@pytest.fixture(scope="module")
def scored(make_cfg: Callable[..., RunConfig], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results root holding a scored MAAE and a scored WAE run of synthetic3 (read only: copy it)."""
    root = tmp_path_factory.mktemp("results")
    for model in ("maae", "wae"):
        folder = run_dir(root, "synthetic3", model, M, 0)
        train(make_cfg(**{"model.kind": model}), folder)
        score_run(folder, SMALL)
    return root


@pytest.fixture
def results(scored: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(scored, tmp_path / "results"))


def write_manifest(results: Path, content: dict[str, Any]) -> None:
    (results / "datasets.json").write_text(json.dumps(content))


def test_dataset_rows_and_columns(results: Path) -> None:
    frame = aggregate_dataset(results, manifest(), "synthetic3")
    on_disk = pd.read_csv(results / "runs" / "synthetic3" / "runs.csv")
    assert list(on_disk.columns) == list(frame.columns)
    n = len(COLUMN_NAMES)
    assert tuple(frame.columns[:n]) == COLUMN_NAMES
    cfg_columns = list(frame.columns[n:])
    assert cfg_columns == sorted(cfg_columns) and all(c.startswith("cfg.") for c in cfg_columns)
    assert {"cfg.model.m", "cfg.model.kind", "cfg.train.seed", "cfg.data.n"} <= set(cfg_columns)

    assert list(on_disk["model"]) == ["maae", "wae"] and list(on_disk["cfg.model.kind"]) == ["maae", "wae"]
    for _, row in on_disk.iterrows():
        folder = results / row["run_dir"]
        assert not Path(row["run_dir"]).is_absolute()
        assert row["run_dir"] == f"runs/synthetic3/{row['model']}/m{M}/seed0"
        scores = json.loads((folder / "scores.json").read_text())
        summary = json.loads((folder / "summary.json").read_text())
        assert (row["scale"], row["data"], row["n"], row["m"], row["seed"]) == ("smoke", "synthetic", 3, M, 0)
        assert row["steps"] == summary["steps"] == 20 and row["code_version"] == summary["code_version"]
        assert row["score_metric"] == "fd_raw" and row["metric_backbone"] == BACKBONES["fd_raw"]
        assert row["score"] == pytest.approx(scores["scores"]["fd_raw"]["value"]) == row["fd_raw"]
        assert row["kde"] == pytest.approx(scores["scores"]["kde"]["value"])
        assert row["nac_abs_corr"] == pytest.approx(scores["scores"]["nac"]["abs_corr"])
        assert row["m_active"] == scores["m_active"]
        assert (row["n_generated"], row["n_real"], row["n_codes"], row["kde_n_fit"]) == (64, 64, 100, 128)
        assert pd.isna(row["fid"]) and pd.isna(row["fd_lenet"])  # not computed: empty cells
    assert on_disk.loc[on_disk["model"] == "wae", "m_active"].item() == M


def test_recon_final_change_reads_the_training_log(results: Path) -> None:
    """The final quarter of a fabricated log: halves' means 4 then 3, so the loss still fell by 25%."""
    log = results / run_dir(".", "synthetic3", "maae", M, 0) / "metrics.csv"
    steps = [1000 * i for i in range(1, 9)]
    pd.DataFrame({"step": steps, "recon": [9, 8, 7, 6, 5, 5, 4, 3], "m_active": [M] * 8}).to_csv(
        log, index=False
    )
    frame = aggregate_dataset(results, manifest(), "synthetic3").set_index("model")
    assert frame.loc["maae", "recon_final_change"] == pytest.approx(-0.25)
    assert frame.loc["maae", "m_active_since"] == 1000
    # 20 steps logged every 5: one value in the final quarter, no halves to compare, an empty cell
    short = pd.read_csv(results / run_dir(".", "synthetic3", "wae", M, 0) / "metrics.csv")
    assert final_change(short["step"].tolist(), short["recon"].tolist(), 0.25) is None
    assert pd.isna(frame.loc["wae", "recon_final_change"])


def test_combine_keeps_only_data_sets_that_ran(results: Path) -> None:
    with pytest.raises(ValueError, match=MISSING_REASON):
        aggregate_dataset(results, manifest(), "cifar10")
    assert not (results / "runs" / "cifar10").exists()
    part = results / "runs" / "synthetic3" / "runs.csv"
    rows = aggregate_dataset(results, manifest(), "synthetic3")
    combined = combine(results, [part])
    on_disk = load_runs(results)
    assert list(on_disk.columns) == list(combined.columns) == list(rows.columns)
    assert len(on_disk) == 2 and set(on_disk["dataset"]) == {"synthetic3"}
    assert on_disk.equals(load_runs(results, [part]))
    empty = combine(results, [])
    assert empty.empty and tuple(load_runs(results).columns) == COLUMN_NAMES


def test_missing_scores_json_raises(results: Path) -> None:
    (run_dir(results, "synthetic3", "wae", M, 0) / "scores.json").unlink()
    with pytest.raises(FileNotFoundError, match="scores.json"):
        aggregate_dataset(results, manifest(), "synthetic3")
    assert not (results / "runs" / "synthetic3" / "runs.csv").exists()


def test_missing_primary_metric_raises(results: Path) -> None:
    path = run_dir(results, "synthetic3", "maae", M, 0) / "scores.json"
    scores = json.loads(path.read_text())
    del scores["scores"]["fd_raw"]
    path.write_text(json.dumps(scores))
    with pytest.raises(ValueError, match="no fd_raw"):
        aggregate_dataset(results, manifest(), "synthetic3")
    assert not (results / "runs" / "synthetic3" / "runs.csv").exists()


def test_unscored_run_folder_raises(results: Path) -> None:
    asked = manifest()
    asked["datasets"]["synthetic3"]["seeds"] = [0, 1]  # seed 1 was never trained
    with pytest.raises(FileNotFoundError, match="seed1"):
        aggregate_dataset(results, asked, "synthetic3")


def test_cli_reads_datasets_json(results: Path, capsys) -> None:
    write_manifest(results, manifest())
    assert main(["dataset", "--results", str(results), "--dataset", "synthetic3"]) == 0
    part = results / "runs" / "synthetic3" / "runs.csv"
    assert main(["combine", "--results", str(results), str(part)]) == 0
    assert len(load_runs(results)) == 2 and load_manifest(results) == manifest()
    capsys.readouterr()
    code = main(["dataset", "--results", str(results), "--dataset", "cifar10"])
    assert_one_error_line(code, capsys.readouterr().err, MISSING_REASON)
