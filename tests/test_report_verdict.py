"""The verdict report: it renders every paper number and every claim, subtracts only like from like, and
--strict refuses a claim without a verdict or a blank cell without a reason."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from conftest import M
from test_report_claims import baselines, dataset, manifest, runs_for, working

from maae.config import RunConfig
from maae.metrics.score import ScoreOptions, score_run
from maae.report import tables, verdict
from maae.report.aggregate import COLUMN_NAMES, aggregate_dataset, combine
from maae.report.claims import PREDICATES
from maae.report.reference import PATH as REFERENCE
from maae.report.reference import load as load_reference
from maae.scales import run_dir
from maae.train import train

REF = load_reference()
CIFAR_MISSING = "data set missing: no CIFAR-10 batches under data/cifar-10-batches-py"


def write_results(root: Path, mnist_metric: str = "fd_lenet", mnist_capacity: int = 64) -> Path:
    """A fabricated results root: two synthetic sets, MNIST, CIFAR-10 missing, one baselines table."""
    sets = {
        "synthetic8": (dataset(n=8, m=(4, 8, 16, 24), capacity=16), working(8)),
        "synthetic16": (dataset(n=16, m=(8, 16, 24, 32), capacity=32), working(16)),
        "mnist": (dataset("mnist", None, m=(8, 13, 16, 32, 64), capacity=mnist_capacity, metric=mnist_metric,
                          models=["maae", "wae", "wae_gan"]), working(13)),
        "cifar10": (dataset("cifar10", None, status="missing", reason=CIFAR_MISSING), {}),
    }  # fmt: skip
    rows = [
        r for name, (info, laws) in sets.items() if info["status"] == "ok" for r in runs_for(name, info, laws)
    ]
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=list(COLUMN_NAMES)).to_csv(root / "runs.csv", index=False)
    (root / "datasets.json").write_text(
        json.dumps(manifest(**{name: info for name, (info, _) in sets.items()}))
    )
    (root / "baselines").mkdir(exist_ok=True)
    baselines(12, 90.0)["synthetic8"].to_csv(root / "baselines" / "synthetic8.csv", index=False)
    return root


def run_main(results: Path, out: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    code = verdict.main(
        ["--results", str(results), "--out", str(out / "v.md"), "--json", str(out / "v.json"), *extra]
    )
    return code, json.loads((out / "v.json").read_text()), (out / "v.md").read_text()


def expected_paper_numbers() -> int:
    t1, t2, t3 = REF["table1"], REF["table2"], REF["table3"]
    return (
        len(t1["datasets"]) * len(t1["rows"])
        + 4 * len(t2["rows"])  # m_A and NAC of both models
        + 2 * len(t3["m"])
        + len(REF["figures"]["fig5"]["m"])
        + 4  # §8: one WAE, one MAAE, the linear and the ternary search's model counts
        + len(REF["runtimes"]["training_hours"])
    )


def test_report_holds_every_paper_number_and_every_claim(tmp_path: Path, capsys) -> None:
    code, report, md = run_main(write_results(tmp_path / "results"), tmp_path, "--strict")
    assert code == 0 and report["problems"] == []
    claims = len(PREDICATES)
    assert f"{claims} claims: {claims} pass, 0 fail, 0 inconclusive, 0 not_run" in capsys.readouterr().out
    assert len(report["numbers"]) == expected_paper_numbers()
    assert [c["claim"] for c in report["claims"]] == list(PREDICATES)
    for claim in report["claims"]:
        assert f"### {claim['claim']}: {claim['status'].replace('_', ' ')}" in md
        assert claim["rule"] in md and claim["why_fair"] in md and claim["reason"]
    for section in ("## The paper's numbers beside the suite's", "### Table 1", "### Table 2", "### Table 3",
                    "### Figure 5", "### §8", "### §10.5", "## Claims"):  # fmt: skip
        assert section in md
    header = report["header"]
    assert header["scale"] == "test" and header["code versions of the runs"] == "abc"
    cifar = next(d for d in header["datasets"] if d["dataset"] == "cifar10")
    assert cifar["reason"] == CIFAR_MISSING and cifar["runs"] == 0
    # Every blank says why: the not-trained cited rows, the missing and the unlisted data sets.
    for row in report["numbers"]:
        assert row["suite"] is not None or row["why_no_suite"]
        assert row["difference"] is not None or row["why_no_difference"]
    blanks = {r["why_no_suite"] for r in report["numbers"] if r["suite"] is None}
    assert {CIFAR_MISSING, "not in the test scale"} <= blanks


def rows_of(report: dict[str, Any], source: str, dataset: str, label: str) -> list[dict[str, Any]]:
    return [r for r in report["numbers"] if (r["source"], r["dataset"], r["row"]) == (source, dataset, label)]


def test_fd_lenet_is_never_subtracted_from_the_papers_fid(tmp_path: Path) -> None:
    _, report, md = run_main(write_results(tmp_path / "results", mnist_metric="fd_lenet"), tmp_path)
    (maae,) = rows_of(report, "Table 1", "mnist", "MAAE")
    assert maae["suite_metric"] == "fd_lenet" and maae["difference"] is None
    assert maae["why_no_difference"] == "suite metric fd_lenet is not the paper's fid: not compared"
    assert "fd_lenet, 3 seeds" in md and "1000 generated; 1000 real" in maae["samples"]


def test_same_metric_and_m_gives_the_difference(tmp_path: Path) -> None:
    _, report, _ = run_main(write_results(tmp_path / "results", mnist_metric="fid"), tmp_path)
    (maae,) = rows_of(report, "Table 1", "mnist", "MAAE")
    assert maae["suite_metric"] == "fid" and maae["difference"] == pytest.approx(maae["suite"] - 10.5)
    # three seeds 0.02 apart: the interval over seeds lies strictly inside their range, around the mean
    low, high = maae["suite_low"], maae["suite_high"]
    assert (
        maae["seeds"] == 3
        and maae["suite"] - 0.02 - 1e-9 <= low < maae["suite"] < high <= maae["suite"] + 0.02 + 1e-9
    )
    m_active = rows_of(report, "Table 2", "synthetic8", "MAAE")[0]
    assert (m_active["quantity"], m_active["m_suite"], m_active["difference"]) == ("m_active", "16", 8 - 9)
    for row in rows_of(report, "§10.5", "mnist", "one MAAE run"):
        assert row["difference"] is None and "GTX 1080 Ti" in row["why_no_difference"]


def test_another_capacity_is_shown_but_not_subtracted(tmp_path: Path) -> None:
    _, report, _ = run_main(write_results(tmp_path / "results", mnist_capacity=32), tmp_path)
    results = tmp_path / "results"
    info = json.loads((results / "datasets.json").read_text())
    info["datasets"]["mnist"]["m"] = [8, 13, 16, 32]
    runs = pd.read_csv(results / "runs.csv")
    runs[runs["m"] != 64].to_csv(results / "runs.csv", index=False)
    (results / "datasets.json").write_text(json.dumps(info))
    _, report, _ = run_main(results, tmp_path)
    for row in rows_of(report, "Table 2", "mnist", "MAAE"):
        assert row["m_suite"] == "32" and row["suite"] is not None and row["difference"] is None
        assert row["why_no_difference"] == "suite at m = 32, paper at m = 64: not compared"


def test_the_reports_table_numbers_are_the_tables_cells(tmp_path: Path) -> None:
    """Tables 1-3 in the report and in the tables are one computation: the same estimate, interval and
    seed count in every suite cell the report quotes (two data sets' capacities off the paper's m)."""
    results = write_results(tmp_path / "results", mnist_metric="fid")
    rep = verdict.report(results)
    checked = 0
    for source, name in (("Table 1", "table1"), ("Table 2", "table2"), ("Table 3", "table3")):
        cells = tables.build(name, results).cells
        suite_cells = cells[cells["source"].str.startswith("suite") & cells["value"].notna()]
        for row in (r for r in rep["numbers"] if r["source"] == source and r["suite"] is not None):
            where = suite_cells["dataset"] == row["dataset"]
            if source == "Table 1":
                model = REF["suite_counterparts"]["table1"][row["row"]]
                where &= suite_cells["model"] == model
            else:
                where &= (suite_cells["model"] == row["row"].lower()) & (
                    suite_cells["quantity"] == row["quantity"]
                )
                if source == "Table 3":
                    where &= suite_cells["m"] == int(row["m_paper"])
            (cell,) = suite_cells[where].to_dict("records")
            got = (row["suite"], row["suite_low"], row["suite_high"], row["seeds"], row["m_suite"])
            assert got == (cell["value"], cell["low"], cell["high"], cell["n_seeds"], str(int(cell["m"])))
            checked += 1
    assert checked >= 2 + 4 * 3 + 2 * 2  # Table 1 on MNIST, Table 2 on three data sets, Table 3 at 2 m


def test_one_seed_gives_a_number_without_an_interval(tmp_path: Path) -> None:
    """The smoke scale's single seed: every suite number is there, its interval blank, and says so."""
    results = write_results(tmp_path / "results", mnist_metric="fid")
    runs = pd.read_csv(results / "runs.csv")
    runs[runs["seed"] == 0].to_csv(results / "runs.csv", index=False)
    code, report, md = run_main(results, tmp_path, "--strict")
    assert code == 0 and report["problems"] == []
    (maae,) = rows_of(report, "Table 1", "mnist", "MAAE")
    assert maae["seeds"] == 1 and maae["suite"] is not None and maae["suite_low"] is None
    assert "(fid, 1 seed)" in md


def test_table2_is_at_the_papers_m_where_the_grid_has_it(tmp_path: Path) -> None:
    """Synthetic16's capacity is 24 here but its grid has the paper's m = 32: Table 2 (and so the report)
    takes m = 32 and compares it; where the grid lacks the paper's m, the capacity, not compared."""
    results = write_results(tmp_path / "results")
    info = json.loads((results / "datasets.json").read_text())
    info["datasets"]["synthetic16"]["capacity"] = 24
    (results / "datasets.json").write_text(json.dumps(info))
    cells = tables.build("table2", results, ["synthetic16"]).cells
    assert set(cells.loc[cells["source"].str.startswith("suite") & cells["model"].notna(), "m"]) == {32}
    rows = [r for r in verdict.report(results)["numbers"] if r["source"] == "Table 2"]
    s16 = [r for r in rows if r["dataset"] == "synthetic16"]
    assert {r["m_suite"] for r in s16} == {"32"} and all(r["difference"] is not None for r in s16)


def test_the_report_says_where_each_study_is_judged(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results")
    info = json.loads((results / "datasets.json").read_text())
    (results / "datasets.json").write_text(json.dumps({**info, "studies": ["sensitivity"]}))
    _, _, md = run_main(results, tmp_path)
    assert "## Studies" in md and f"`{results / 'studies' / 'sensitivity' / 'verdict.md'}`" in md
    assert "`snakemake sensitivity`" in md
    _, _, md = run_main(write_results(tmp_path / "plain"), tmp_path)
    assert "## Studies" not in md


def test_a_part_judged_with_seeds_of_a_later_look_says_so(tmp_path: Path) -> None:
    results = write_results(tmp_path / "results")
    _, _, plain = run_main(results, tmp_path)
    assert "(look " not in plain and "later looks" not in plain  # one look: nothing to mark
    manifest = json.loads((results / "datasets.json").read_text())
    manifest["datasets"]["synthetic8"]["later_looks"] = [[model, 16, 2, 2] for model in ("maae", "wae")]
    (results / "datasets.json").write_text(json.dumps(manifest))
    code, report, md = run_main(results, tmp_path, "--strict")
    nac = next(c for c in report["claims"] if c["claim"] == "nac_maae_below_wae")
    (s8,) = [p for p in nac["parts"] if p["dataset"] == "synthetic8"]
    assert code == 0 and s8["look"] == 2 and [e["look"] for e in s8["earlier"]] == [1]
    assert f"#### synthetic8: {s8['status']} (look 2)" in md
    assert f"At look 1, without the seeds added after it: {s8['earlier'][0]['status']}: " in md
    assert "- looks: seeds under a `more_seeds` entry with a later `look`" in md
    assert "| later looks |" in md and "synthetic8: look 2 (look 1: " in md
    assert "synthetic16: look" not in md and "mnist: look" not in md


def test_only_the_baselines_tables_asked_for_are_judged(tmp_path: Path) -> None:
    """The workflow passes the §8 tables its scale asks for: one left from an earlier scale file (here the
    only one) is not judged, and with none asked for the claim is not run."""
    results = write_results(tmp_path / "results")
    stale = results / "baselines" / "synthetic8.csv"
    judged = {v.claim: v for v in verdict.report(results, baselines=[stale])["claims"]}
    assert judged["naive_search_cost"].status == "pass"
    none = {v.claim: v for v in verdict.report(results, baselines=[])["claims"]}
    assert (
        none["naive_search_cost"].status == "not_run"
        and "no baselines table" in none["naive_search_cost"].reason
    )


def test_strict_fails_on_a_claim_without_a_verdict(tmp_path: Path, capsys) -> None:
    results = write_results(tmp_path / "results")
    ref = yaml.safe_load(REFERENCE.read_text())
    ref["claims"]["fig8_wasserstein"] = dict(ref["claims"]["mnist_m_active_band"])  # no predicate for it
    reference = tmp_path / "reference.yaml"
    reference.write_text(yaml.safe_dump(ref, allow_unicode=True))
    code, report, md = run_main(results, tmp_path, "--reference", str(reference), "--strict")
    assert code == 1 and report["problems"] == ["claim fig8_wasserstein has no verdict"]
    assert "- claim fig8_wasserstein has no verdict" in md
    assert "problem: claim fig8_wasserstein has no verdict" in capsys.readouterr().err
    code, _, _ = run_main(results, tmp_path, "--reference", str(reference))
    assert code == 0  # without --strict the report is still written


def test_problems_catch_a_blank_cell_without_a_reason(tmp_path: Path) -> None:
    rep = verdict.report(write_results(tmp_path / "results"))
    assert verdict.problems(rep["numbers"], rep["claims"], rep["reference"]) == []
    rows = [dict(r) for r in rep["numbers"]]
    blank = next(r for r in rows if r["suite"] is None)
    blank["why_no_suite"] = ""
    shown = next(r for r in rows if r["difference"] is not None)
    shown.update(difference=None, why_no_difference="")
    found = verdict.problems(rows, rep["claims"], rep["reference"])
    assert len(found) == 2
    assert found[0].endswith("suite cell blank without a reason") and found[1].endswith(
        "difference blank without a reason"
    )


def test_a_scale_with_no_runs_is_all_not_run_with_reasons(tmp_path: Path) -> None:
    """Every data set missing or skipped: runs.csv has only its header; every claim still gets a verdict."""
    results = tmp_path / "results"
    results.mkdir()
    pd.DataFrame(columns=list(COLUMN_NAMES)).to_csv(results / "runs.csv", index=False)
    skipped = "skipped: left out by the scale's only: option"
    sets = {
        "cifar10": dataset("cifar10", None, status="missing", reason=CIFAR_MISSING),
        "synthetic8": dataset(status="skipped", reason=skipped),
    }
    (results / "datasets.json").write_text(json.dumps(manifest(**sets)))
    code, report, _ = run_main(results, tmp_path, "--strict")
    assert code == 0 and report["problems"] == []
    assert {c["status"] for c in report["claims"]} == {"not_run"}
    reasons = {c["claim"]: c["reason"] for c in report["claims"]}
    assert (
        "skipped: left out" in reasons["synthetic_m_active"]
        and CIFAR_MISSING in reasons["table1_maae_beats_wae"]
    )


def test_user_errors_are_one_line(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "v.md")
    assert verdict.main(["--results", str(tmp_path / "nowhere"), "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "nowhere: no such results folder" in err and "\n" not in err
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "datasets.json").write_text('{"scale": "test", "datasets": {}}')
    assert verdict.main(["--results", str(tmp_path / "bare"), "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "runs.csv not found" in err and "\n" not in err
    results = write_results(tmp_path / "results")
    ref = yaml.safe_load(REFERENCE.read_text())
    del ref["claims"]["wae_u_shape"]
    reference = tmp_path / "reference.yaml"
    reference.write_text(yaml.safe_dump(ref, allow_unicode=True))
    assert verdict.main(["--results", str(results), "--out", out, "--reference", str(reference)]) == 2
    assert "lacks claims.wae_u_shape" in capsys.readouterr().err
    pd.DataFrame({"method": ["maae"], "seed": [0]}).to_csv(results / "baselines" / "mnist.csv", index=False)
    assert verdict.main(["--results", str(results), "--out", out]) == 2
    assert "mnist.csv lacks the columns mode, models_trained" in capsys.readouterr().err
    assert not Path(out).exists()


def test_report_reads_what_the_aggregation_writes(make_cfg: Callable[..., RunConfig], tmp_path: Path) -> None:
    """Real tiny scored runs through maae.report.aggregate: the contract holds end to end."""
    results = tmp_path / "results"
    small = ScoreOptions(n_samples=64, n_real=64, n_codes=100, kde_n_fit=128, kde_n_val=64)
    for model in ("maae", "wae"):
        folder = run_dir(results, "synthetic3", model, M, 0)
        train(make_cfg(**{"model.kind": model}), folder)
        score_run(folder, small)
    info = {"data": "synthetic", "n": 3, "status": "ok", "reason": None, "models": ["maae", "wae"], "m": [M],
            "seeds": [0], "capacity": M, "metric": "fd_raw", "steps": 20}  # fmt: skip
    manifest = {"scale": "smoke", "config": None, "code_version": "x", "datasets": {"synthetic3": info}}
    (results / "datasets.json").write_text(json.dumps(manifest))
    aggregate_dataset(results, manifest, "synthetic3")
    combine(results, [results / "runs" / "synthetic3" / "runs.csv"])
    code, report, md = run_main(results, tmp_path, "--strict")
    assert code == 0 and report["problems"] == []
    statuses = {c["claim"]: (c["status"], c["reason"]) for c in report["claims"]}
    status, reason = statuses["synthetic_m_active"]  # m = 4 > n = 3: judged, but 20 steps is far too short
    assert (
        status == "not_run"
        and "scale too small: 20 training steps" in reason
        and "the predicate says" in reason
    )
    few = "synthetic3: too few seeds for an interval (2 needed at each m; have MAAE m = 4: 1, WAE m = 4: 1)"
    assert statuses["nac_maae_below_wae"][0] == "not_run" and statuses["nac_maae_below_wae"][1].endswith(few)
    assert "# The paper checked: smoke scale" in md


def test_evidence_nests_its_checks_and_writes_an_interval_on_one_line() -> None:
    near = {
        "estimate": 12.0,
        "low": 12.0,
        "high": 12.0,
        "seeds": 5,
        "confidence": 0.95,
        "method": "m",
        "resamples": 9,
    }
    lines = verdict._md_items({"target": 8, "checks": {"near": {"interval": near, "status": "fail"}}})
    assert lines == [
        "- target: 8",
        "- checks:",
        "  - near:",
        "    - interval: 12, 95% interval over 5 seeds [12, 12]",
        "    - status: fail",
    ]
