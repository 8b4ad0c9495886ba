"""``maae.report.tables`` on a fabricated runs.csv and datasets.json: values, seeds, blanks and their
reasons, the paper's cited rows, the non-FID note, the three output files and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_cli import assert_one_error_line

from maae.report.aggregate import BACKBONES, COLUMN_NAMES
from maae.report.fmt import num
from maae.report.reference import load as load_reference
from maae.report.stats import seed_bootstrap, settings
from maae.report.tablefmt import CSV_COLUMNS, latex_escape, to_markdown
from maae.report.tables import build, main, unsettled_note
from maae.scales import run_dir

MISSING = "data set missing: no CIFAR-10 batches under data/cifar-10-batches-py"
# dataset -> (data, metric, m run, capacity, seeds, code version); fashion_mnist's capacity was not run
DATASETS = {
    "synthetic8": ("synthetic", "fd_raw", [4, 16], 16, [0, 1, 2], "abc1234"),
    "synthetic16": ("synthetic", "fd_raw", [8, 16, 32], 32, [0, 1], "abc1234"),
    "mnist": ("mnist", "fd_lenet", [16, 64], 64, [0], "def5678"),
    "fashion_mnist": ("fashion_mnist", "fid", [16], 128, [0, 1], "abc1234"),
}


def fabricate(root: Path) -> pd.DataFrame:
    """runs.csv with random scores for DATASETS, and a datasets.json where cifar10 is missing and celeba
    is not in the scale; synthetic8's MAAE at its capacity has no NAC for seed 2 (m_A < 2)."""
    rng = np.random.default_rng(0)
    rows, manifest = [], {"scale": "smoke", "config": "config/smoke.yaml", "datasets": {}}
    for dataset, (data, metric, ms, capacity, seeds, code) in DATASETS.items():
        manifest["datasets"][dataset] = {
            "data": data, "n": None, "status": "ok", "reason": None, "models": ["maae", "wae"], "m": ms,
            "seeds": seeds, "capacity": capacity, "metric": metric, "steps": 200,
        }  # fmt: skip
        for model in ("maae", "wae"):
            for m in ms:
                for seed in seeds:
                    score = float(rng.uniform(1, 100))
                    synthetic = data == "synthetic"
                    row = dict.fromkeys(COLUMN_NAMES)
                    row |= {
                        "scale": "smoke", "dataset": dataset, "data": data, "model": model, "m": m,
                        "seed": seed, "steps": 200, "score_metric": metric, "score": score, metric: score,
                        "metric_backbone": BACKBONES[metric], "m_active": int(rng.integers(1, m + 1)),
                        "nac": float(rng.uniform(0, 0.1)), "nac_abs_corr": float(rng.uniform(0, 1)),
                        "kde": float(rng.uniform(-200, -100)) if synthetic else None,
                        "n_generated": 500, "n_real": 400, "n_codes": 300,
                        "kde_n_fit": 600 if synthetic else None, "code_version": code,
                        "run_dir": run_dir(".", dataset, model, m, seed).as_posix(),
                    }  # fmt: skip
                    if (dataset, model, m, seed) == ("synthetic8", "maae", 16, 2):
                        row["nac"] = row["nac_abs_corr"] = None
                    rows.append(row)
    manifest["datasets"]["cifar10"] = {
        "data": "cifar10", "n": None, "status": "missing", "reason": MISSING, "models": ["maae", "wae"],
        "m": [256], "seeds": [0], "capacity": 256, "metric": "fid", "steps": 200,
    }  # fmt: skip
    runs = pd.DataFrame(rows, columns=list(COLUMN_NAMES))
    runs.to_csv(root / "runs.csv", index=False)
    for dataset, part in runs.groupby("dataset"):
        (root / "runs" / dataset).mkdir(parents=True)
        part.to_csv(root / "runs" / dataset / "runs.csv", index=False)
    (root / "datasets.json").write_text(json.dumps(manifest))
    return runs


@pytest.fixture
def results(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    root = tmp_path / "results"
    root.mkdir()
    return root, fabricate(root)


def cell(cells: pd.DataFrame, **where: Any) -> pd.Series:
    keep = np.ones(len(cells), bool)
    for key, value in where.items():
        keep &= (cells[key] == value).to_numpy()
    assert keep.sum() == 1, (where, cells[keep])
    return cells[keep].iloc[0]


def selected(runs: pd.DataFrame, dataset: str, model: str, m: int) -> pd.DataFrame:
    return runs[(runs["dataset"] == dataset) & (runs["model"] == model) & (runs["m"] == m)]


def assert_summarises(got: pd.Series, values: pd.Series, seeds: pd.Series) -> None:
    """A suite cell is the mean of exactly these values with their interval over seeds and their count."""
    kept = values.notna()
    values, seeds = values[kept], seeds[kept]
    assert got["value"] == pytest.approx(values.mean()) and got["n_seeds"] == len(values)
    assert f"({len(values)} seed" in got["text"]
    if len(values) >= 2:
        iv = seed_bootstrap(dict(zip(seeds, values, strict=True)), **settings(load_reference()))
        assert (got["low"], got["high"]) == (pytest.approx(iv.low), pytest.approx(iv.high))
        assert f"[{num(iv.low)}, {num(iv.high)}]" in got["text"]
    else:
        assert pd.isna(got["low"]) and pd.isna(got["high"]) and "[" not in got["text"]


def test_table1_paper_rows_then_suite_at_capacity(results) -> None:
    root, runs = results
    ref = load_reference()["table1"]
    table = build("table1", root)
    cells = table.cells
    assert list(dict.fromkeys(cells["column"])) == ref["datasets"]
    for row in ref["rows"]:
        for dataset in ref["datasets"]:
            got = cell(cells, model=row["model"], column=dataset)
            assert got["value"] == row[dataset] and got["scale"] == "paper" and pd.isna(got["code_version"])
            if row["cited_from"]:
                assert got["source"].startswith("cited in the paper") and row["cited_from"] in got["source"]
            else:
                assert got["source"] == "paper"

    fashion = cell(cells, model="maae", dataset="fashion_mnist")
    assert fashion["blank_reason"] == fashion["text"] == "capacity m=128 not run" and pd.isna(
        fashion["value"]
    )
    cifar = cell(cells, model="wae", dataset="cifar10")
    assert cifar["blank_reason"] == MISSING and cifar["text"] == "data set missing (see below)"
    assert pd.isna(cifar["value"])
    assert cell(cells, model="maae", dataset="celeba")["text"] == "not in the smoke scale"

    for model in ("maae", "wae"):
        got = cell(cells, model=model, dataset="mnist")
        want = selected(runs, "mnist", model, 64)
        assert_summarises(got, want["score"], want["seed"])
        assert got["text"].startswith("fd_lenet ") and got["quantity"] == "fd_lenet"
        assert got["comparable_with_paper"] is False and got["seeds"] == "0"
        assert (got["scale"], got["steps"], got["code_version"]) == ("smoke", "200", "def5678")
        assert (got["n_generated"], got["n_real"]) == ("500", "400")
    assert any("fd_lenet" in note and "NOT comparable" in note for note in table.notes)
    assert "smoke" in table.title and "config/smoke.yaml" in table.title
    mnist_line = next(line for line in table.provenance if line.startswith("mnist:"))
    for part in ("fd_lenet", BACKBONES["fd_lenet"], "m = 64", "200 steps", "seeds 0 (1 seed)", "500/400"):
        assert part in mnist_line
    assert "n_codes 300" in mnist_line and "code def5678" in mnist_line
    assert MISSING in next(line for line in table.provenance if line.startswith("cifar10:"))


def test_table1_fid_cells_comparable_and_no_differences(results) -> None:
    root, runs = results
    table = build("table1", root, ["fashion_mnist", "synthetic8"])
    cells = table.cells
    synthetic = cell(cells, model="maae", dataset="synthetic8")
    rows = selected(runs, "synthetic8", "maae", 16)
    assert_summarises(synthetic, rows["score"], rows["seed"])
    assert synthetic["text"].startswith("fd_raw ") and synthetic["comparable_with_paper"] is False
    assert cell(cells, model="MAAE", dataset="synthetic8")["text"] == "not in the paper"
    assert any("fd_raw" in note and "NOT comparable" in note for note in table.notes)
    assert not any("fd_lenet" in note for note in table.notes)
    suite = cells[cells["source"].str.startswith("suite")]
    # every suite number is a mean of runs, never a difference with the paper's value
    for _, got in suite[suite["value"].notna()].iterrows():
        rows = selected(runs, got["dataset"], got["model"], got["m"])
        assert_summarises(got, rows["score"], rows["seed"])
    assert set(CSV_COLUMNS) <= set(cells.columns) and not any("diff" in c for c in cells.columns)


def test_table2_m_active_nac_beside_paper(results) -> None:
    root, runs = results
    ref = {row["dataset"]: row for row in load_reference()["table2"]["rows"]}
    table = build("table2", root)
    cells = table.cells
    assert list(dict.fromkeys(cells["dataset"])) == list(ref)
    s8 = ref["synthetic8"]
    assert cell(cells, dataset="synthetic8", column="m (paper)")["value"] == s8["m"]
    assert cell(cells, dataset="synthetic8", column="m (suite, smoke)")["value"] == 16
    for model, label in (("maae", "MAAE"), ("wae", "WAE")):
        rows = selected(runs, "synthetic8", model, 16)
        for quantity in ("m_active", "nac", "nac_abs_corr"):
            got = cell(
                cells, dataset="synthetic8", model=model, quantity=quantity, source="suite (smoke scale)"
            )
            assert_summarises(got, rows[quantity], rows["seed"])
            assert got["comparable_with_paper"] is (quantity != "nac_abs_corr")  # |corr| is not the paper's
            assert got["scale"] == "smoke" and got["steps"] == "200"
            assert got["n_codes"] == "300" if quantity != "m_active" else pd.isna(got["n_codes"])  # mask only
        for quantity, shown in (("m_active", "m_A"), ("nac", "NAC")):
            got = cell(cells, dataset="synthetic8", column=f"{label} {shown} (paper)")
            assert got["value"] == s8[f"{model}_{quantity}"]
    partial = cell(cells, dataset="synthetic8", model="maae", quantity="nac", source="suite (smoke scale)")
    assert "2 seeds of 3" in partial["text"] and partial["seeds"] == "0 1"
    assert cell(cells, dataset="fashion_mnist", column="MAAE NAC (suite)")["text"] == "capacity m=128 not run"
    assert cell(cells, dataset="cifar10", column="WAE m_A (suite)")["blank_reason"] == MISSING
    assert cell(cells, dataset="celeba", column="MAAE |corr| (suite)")["text"] == "not in the smoke scale"
    assert any("nac_abs_corr" in note and "cannot reach 1" in note for note in table.notes)


def test_table2_says_how_many_masks_had_not_settled(results) -> None:
    """The fabricated runs have no training log (m_active_since empty): MAAE's m_A cells say that none of
    their masks is known to have settled, which the m_A claims would leave out; the WAE has no mask."""
    root, _ = results
    cells = build("table2", root).cells
    maae = cell(cells, dataset="synthetic8", model="maae", quantity="m_active", source="suite (smoke scale)")
    wae = cell(cells, dataset="synthetic8", model="wae", quantity="m_active", source="suite (smoke scale)")
    assert maae["text"].endswith("; 3 of 3 masks not settled") and "settled" not in wae["text"]
    ref = load_reference()
    rows = pd.DataFrame({"m_active_since": [100.0, 150.0, 190.0], "steps": [200, 200, 200]})
    assert unsettled_note(rows, ref) == "; 1 of 3 masks not settled"  # 190 > 0.75 * 200
    assert unsettled_note(rows.iloc[:2], ref) == ""


def test_provenance_names_the_seeds_added_at_a_later_look(results) -> None:
    root, _ = results
    manifest = json.loads((root / "datasets.json").read_text())
    s8 = [["maae", 16, 2, 2], ["wae", 16, 2, 2], ["maae", 99, 7, 2]]  # m = 99 was never run
    manifest["datasets"]["synthetic8"]["later_looks"] = s8
    manifest["datasets"]["synthetic16"]["later_looks"] = [["wae", 8, 1, 2], ["maae", 32, 0, 3]]
    (root / "datasets.json").write_text(json.dumps(manifest))
    added = "added at look {}, after a verdict was seen"
    table2 = {line.split(":")[0]: line for line in build("table2", root).provenance}
    assert table2["synthetic8"].endswith(f"; seeds 2 of maae, wae at m = 16 {added.format(2)}")
    assert table2["synthetic16"].endswith(f"; seeds 0 of maae at m = 32 {added.format(3)}")  # its m alone
    assert "look" not in table2["mnist"]
    (table3,) = build("table3", root).provenance
    assert table3.endswith(
        f"; seeds 1 of wae at m = 8 {added.format(2)}; seeds 0 of maae at m = 32 {added.format(3)}"
    )


def test_table3_union_of_m_with_reasons(results) -> None:
    root, runs = results
    ref = load_reference()["table3"]
    cells = build("table3", root).cells
    assert set(cells["dataset"]) == {"synthetic16"}
    assert sorted(set(cells["m"])) == sorted(set(ref["m"]) | {8, 16, 32})
    for model, label in (("wae", "WAE"), ("maae", "MAAE")):
        for m in (8, 16, 32):
            got = cell(cells, m=m, column=f"{label} (suite)")
            rows = selected(runs, "synthetic16", model, m)
            assert_summarises(got, rows["kde"], rows["seed"])
            assert got["kde_n_fit"] == "600" and got["comparable_with_paper"] is True
        for m, value in zip(ref["m"], ref[model], strict=True):
            assert cell(cells, m=m, column=f"{label} (paper)")["value"] == value
        assert cell(cells, m=24, column=f"{label} (suite)")["text"] == "not run at this scale"
        assert cell(cells, m=32, column=f"{label} (paper)")["text"] == "not in the paper"
    missing = build("table3", root, ["synthetic16", "cifar10"]).cells
    assert set(missing.loc[missing["dataset"] == "cifar10", "blank_reason"]) == {MISSING, "not in the paper"}


def test_cli_writes_three_files(results, tmp_path: Path, capsys) -> None:
    root, _ = results
    stem = tmp_path / "out" / "table2"
    assert (
        main(["table2", "--results", str(root), "--out", str(stem), "--datasets", "synthetic8", "mnist"]) == 0
    )
    csv = pd.read_csv(f"{stem}.csv")
    assert list(csv.columns) == list(CSV_COLUMNS) and set(csv["table"]) == {"table2"}
    assert set(csv["dataset"]) == {"synthetic8", "mnist"}
    md = Path(f"{stem}.md").read_text()
    assert md == to_markdown(build("table2", root, ["synthetic8", "mnist"]))
    assert md.startswith("**Table 2") and "| dataset | m (paper) |" in md and "\\|corr\\|" in md
    tex = Path(f"{stem}.tex").read_text()
    assert r"\begin{tabular}" in tex and r"\caption{Table 2" in tex and r"m\_A" in tex and " seeds)" in tex
    assert "smoke" in tex and "code abc1234" in tex
    assert sorted(p.name for p in stem.parent.iterdir()) == ["table2.csv", "table2.md", "table2.tex"]


def test_per_data_set_runs_files_and_skipped_status(results) -> None:
    root, runs = results
    manifest = json.loads((root / "datasets.json").read_text())
    skipped = "skipped: left out by the scale's only: option"
    manifest["datasets"]["mnist"] |= {"status": "skipped", "reason": skipped}
    (root / "datasets.json").write_text(json.dumps(manifest))
    s8 = root / "runs" / "synthetic8" / "runs.csv"
    from_files = build("table2", root, ["synthetic8", "mnist"], runs_files=[s8]).cells
    from_runs_csv = build("table2", root, ["synthetic8", "mnist"]).cells
    pd.testing.assert_frame_equal(from_files, from_runs_csv)
    assert cell(from_files, dataset="mnist", column="MAAE NAC (suite)")["text"] == skipped
    none_ran = build("table2", root, ["synthetic8"], runs_files=[]).cells
    assert cell(none_ran, dataset="synthetic8", column="WAE NAC (suite)")["text"] == "capacity m=16 not run"


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--results", "{root}/nowhere"], "nowhere"),
        (["--results", "{empty}"], "datasets.json"),
        (["--results", "{root}", "--runs", "{root}/runs/nope.csv"], "nope.csv"),
        (["--results", "{root}", "--datasets", "mnistt"], "mnistt"),
    ],
)
def test_cli_bad_inputs_one_error_line(results, tmp_path: Path, capsys, argv, names) -> None:
    root, _ = results
    (tmp_path / "empty").mkdir()
    argv = [a.format(root=root, empty=tmp_path / "empty") for a in argv]
    code = main(["table1", *argv, "--out", str(tmp_path / "t1")])
    assert_one_error_line(code, capsys.readouterr().err, names)
    assert not list(tmp_path.glob("t1.*"))


def test_latex_escape() -> None:
    assert latex_escape("a_b & 5% #1 {x} ~^\\ 3 ± 1 |c| <d>") == (
        r"a\_b \& 5\% \#1 \{x\} \textasciitilde{}\textasciicircum{}\textbackslash{} 3 $\pm$ 1 "
        r"\textbar{}c\textbar{} \textless{}d\textgreater{}"
    )
