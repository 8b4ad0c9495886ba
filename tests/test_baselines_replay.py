"""``python -m baselines replay`` on a fabricated grid: look-ups over the grid's index, costs, the MAAE
reference, agreement across seeds, the output contract and user errors."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from baselines.__main__ import main
from baselines.compare import COLUMN_NAMES
from maae.report.aggregate import COLUMN_NAMES as RUN_COLUMNS
from maae.report.reference import PATH as PAPER_REFERENCE

GRID = [2, 4, 6, 8, 12, 16, 24, 32]
SEEDS = [0, 1, 2]
BEST = {0: 8, 1: 8, 2: 12}  # where each seed's WAE score is lowest: FID-like noise across seeds
MAAE_SECONDS = 50.0


def wae_seconds(m: int) -> float:
    return 10.0 + m


def run_row(model: str, m: int, seed: int, score: float, seconds: float, m_active: int) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(RUN_COLUMNS)
    row.update(
        scale="smoke", dataset="synthetic8", data="synthetic", n=8, model=model, m=m, seed=seed, steps=300,
        m_active=m_active, train_seconds=seconds, device="cpu", score_metric="fd_raw", score=score,
        n_generated=2000, n_real=2000, run_dir=f"runs/synthetic8/{model}/m{m}/seed{seed}",
    )  # fmt: skip
    return row


def write_grid(root: Path, maae_m: list[int] = GRID, status: str = "ok") -> Path:
    rows = [
        run_row("wae", m, seed, (math.log(m) - math.log(BEST[seed])) ** 2 + 0.01 * seed, wae_seconds(m), m)
        for seed in SEEDS
        for m in GRID
    ]
    rows += [run_row("maae", m, seed, 0.5, MAAE_SECONDS, 8 + seed) for seed in SEEDS for m in maae_m]
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=list(RUN_COLUMNS)).to_csv(root / "runs.csv", index=False)
    reason = None if status == "ok" else "data set missing: no files under data/synthetic"
    manifest = {"scale": "smoke", "datasets": {"synthetic8": {"status": status, "reason": reason}}}
    (root / "datasets.json").write_text(json.dumps(manifest))
    return root


def replay(root: Path, out: Path, *extra: str) -> tuple[int, pd.DataFrame, str]:
    code = main(["replay", "--results", str(root), "--dataset", "synthetic8", "--out", str(out), *extra])
    if code != 0:
        return code, pd.DataFrame(), ""
    return code, pd.read_csv(f"{out}.csv"), Path(f"{out}.md").read_text()


def test_replay_table(tmp_path: Path) -> None:
    code, frame, md = replay(write_grid(tmp_path / "res"), tmp_path / "out")
    assert code == 0
    assert tuple(frame.columns) == COLUMN_NAMES
    assert set(frame["method"]) == {"maae", "linear", "ternary", "ternary_printed"}
    assert len(frame) == 4 * len(SEEDS)
    assert (frame["mode"] == "replay").all() and (frame["scale"] == "smoke").all()
    assert (frame["range_lo"] == 2).all() and (frame["range_hi"] == 32).all()
    assert (frame["score_metric"] == "fd_raw").all()
    for seed in SEEDS:
        rows = frame[frame["seed"] == seed].set_index("method")
        maae = rows.loc["maae"]
        assert (maae["chosen_m"], maae["m_active"], maae["train_seconds"]) == (32, 8 + seed, MAAE_SECONDS)
        lin = rows.loc["linear"]
        assert lin["models_trained"] == lin["evaluations"] == len(GRID)
        assert lin["train_seconds"] == pytest.approx(sum(wae_seconds(m) for m in GRID))
        assert lin["chosen_m"] == lin["m_active"] == BEST[seed]
        assert lin["cost_ratio"] == pytest.approx(lin["train_seconds"] / MAAE_SECONDS)
        assert rows.loc["ternary", "chosen_m"] == BEST[seed]


def test_ternary_replay_looks_up_grid_indices(tmp_path: Path) -> None:
    """By hand on indices 0..7 of GRID, seed 0 (minimum at index 3, m = 8): probes 2 and 5 (m 6, 16),
    keep [0, 4]; probes 1 and 3 (m 4, 8), keep [2, 4]; then all of 2, 3, 4 (m 6, 8, 12). Five runs."""
    code, frame, _ = replay(write_grid(tmp_path / "res"), tmp_path / "out", "--seeds", "0")
    row = frame[frame["method"] == "ternary"].iloc[0]
    assert (row["models_trained"], row["evaluations"], row["chosen_m"]) == (5, 5, 8)
    assert row["train_seconds"] == pytest.approx(sum(wae_seconds(m) for m in (6, 16, 4, 8, 12)))
    assert row["cost_ratio"] == pytest.approx(row["train_seconds"] / MAAE_SECONDS)


def test_printed_ternary_replay_counts_repeats_once(tmp_path: Path) -> None:
    code, frame, _ = replay(write_grid(tmp_path / "res"), tmp_path / "out", "--methods", "ternary_printed")
    assert code == 0
    rows = frame[frame["method"] == "ternary_printed"]
    assert (rows["evaluations"] % 2 == 0).all()  # two calls per iteration
    assert (rows["models_trained"] < rows["evaluations"]).all()  # the width-2 step probes one m twice


def test_range_restricts_the_candidates_and_moves_the_maae_reference(tmp_path: Path) -> None:
    root = write_grid(tmp_path / "res", maae_m=[16, 32])
    code, frame, md = replay(root, tmp_path / "out", "--range", "3", "20", "--seeds", "1")
    assert code == 0
    assert (frame["range_lo"] == 4).all() and (frame["range_hi"] == 16).all()
    lin = frame[frame["method"] == "linear"].iloc[0]
    assert lin["models_trained"] == 5  # 4, 6, 8, 12, 16
    assert frame[frame["method"] == "maae"].iloc[0]["chosen_m"] == 16
    assert "m in 4, 6, 8, 12, 16 (5 values)" in md


def test_absent_maae_reference_says_why(tmp_path: Path) -> None:
    code, frame, md = replay(write_grid(tmp_path / "res", maae_m=[16]), tmp_path / "out")
    assert code == 0
    maae = frame[frame["method"] == "maae"]
    assert (maae["models_trained"] == 0).all() and maae["train_seconds"].isna().all()
    assert maae["note"].str.contains("no maae run at m=32").all()
    assert frame[frame["method"] != "maae"]["cost_ratio"].isna().all()
    assert "no MAAE reference: no maae run at m=32, seed 0" in md


def test_markdown_summary_agreement_and_paper_ratio(tmp_path: Path) -> None:
    code, frame, md = replay(write_grid(tmp_path / "res"), tmp_path / "out")
    assert code == 0
    summary = md.split("## Per method")[1].split("## Per seed")[0]
    ternary_line = next(line for line in summary.splitlines() if line.startswith("| ternary |"))
    assert "8: 2/3" in ternary_line  # seeds 0 and 1 land on 8, seed 2 on 12
    mean_ratio = frame[frame["method"] == "ternary"]["cost_ratio"].mean()
    assert f"{mean_ratio:.3g}" in ternary_line
    naive = yaml.safe_load(PAPER_REFERENCE.read_text())["runtimes"]["naive_search"]
    implied = naive["linear_search_models"] * naive["wae_minutes"] / naive["maae_minutes"]
    assert f"linear {implied:.3g}" in md
    assert "fd_raw" in md and "2000 generated vs 2000 real" in md
    assert "training steps per run: 300" in md


def test_unavailable_dataset_writes_why(tmp_path: Path) -> None:
    code, frame, md = replay(write_grid(tmp_path / "res", status="missing"), tmp_path / "out")
    assert code == 0
    assert frame.empty and tuple(frame.columns) == COLUMN_NAMES
    assert "Not run: synthetic8: data set missing: no files under data/synthetic" in md


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "mnist"], "no runs of 'mnist'"),
        (["--seeds", "0", "7"], "no WAE runs for seeds [7]"),
        (["--range", "40", "50"], "no WAE run with 40 <= m <= 50"),
        (["--range", "9", "3"], "need 1 <= LO <= HI"),
    ],
)
def test_user_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    root = write_grid(tmp_path / "res")
    argv = ["replay", "--results", str(root), "--dataset", "synthetic8", "--out", str(tmp_path / "o"), *args]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert not (tmp_path / "o.csv").exists()


def test_seeds_trained_on_part_of_the_grid_are_left_out_and_named(tmp_path: Path, capsys) -> None:
    """A scale's more_seeds train some seeds on part of the grid only: a search over the whole grid replays
    the seeds that have every m, and the table says which were left out and why."""
    root = write_grid(tmp_path / "res")
    runs = pd.read_csv(root / "runs.csv")
    partial = (runs["seed"] == 2) & (runs["model"] == "wae") & runs["m"].isin([2, 32])
    runs[~partial].to_csv(root / "runs.csv", index=False)
    code, frame, md = replay(root, tmp_path / "out")
    assert code == 0 and sorted(frame["seed"].unique()) == [0, 1]
    assert "seeds left out" in md and "2 (no WAE run at m = 2, 32)" in md
    code, frame, _ = replay(root, tmp_path / "window", "--range", "4", "24")
    assert code == 0 and sorted(frame["seed"].unique()) == [0, 1, 2]  # every seed covers this range
    assert replay(root, tmp_path / "named", "--seeds", "2")[0] == 2
    assert "seed 2 has no WAE run at m = [2, 32]" in capsys.readouterr().err


def test_missing_runs_csv_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["replay", "--results", str(tmp_path), "--dataset", "synthetic8", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert "no runs.csv under" in capsys.readouterr().err


def test_the_data_sets_own_runs_csv_is_preferred(tmp_path: Path) -> None:
    """The workflow's baseline rule waits for runs/<dataset>/runs.csv, not for the scale's runs.csv."""
    root = write_grid(tmp_path / "res")
    own = root / "runs" / "synthetic8" / "runs.csv"
    own.parent.mkdir(parents=True)
    runs = pd.read_csv(root / "runs.csv")
    runs[runs["seed"] == 0].to_csv(own, index=False)
    code, frame, md = replay(root, tmp_path / "out")
    assert code == 0
    assert set(frame["seed"]) == {0}
    assert f"source: {own}" in md
