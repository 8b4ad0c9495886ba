"""A held-out n (issue 13): the synthetic claims hold for data sets the suite was never tuned on.

Adding a synthetic data set with another n is one line under `datasets:` in a scale file. Here that line
(``LINE``: Synthetic6, n = 6) is added to a copy of config/smoke.yaml and nothing else is edited: the
workflow plans its runs (a Snakemake dry run of `all` and of `synthetic`), the manifest carries its n, and
every synthetic claim judges it against n = 6 on fabricated run tables (test_report_claims's "working" and
"broken" methods), passing and failing where those tests do for n = 8.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_report_claims import MNIST, REF, SYN8, SYN16, broken, dataset, inputs, part, verdict, working
from test_workflow import ROOT, dry_run, job_counts, needs_snakemake

from maae import scales

N = 6
M = (2, 4, 6, 8, 12)
LINE = "  synthetic6: {data: {name: synthetic, n: 6}, m: [2, 4, 6, 8, 12], seeds: [0, 1], steps: 40}"
SYNTHETIC_CLAIMS = (
    "synthetic_m_active",
    "wae_u_shape",
    "maae_flat_wae_worsens",
    "table3_kde",
    "nac_maae_below_wae",
)
SYN6 = dataset(n=N, m=M)


def held_out_scale(folder: Path) -> Path:
    """config/smoke.yaml with LINE added under `datasets:`, and no other change."""
    smoke = (ROOT / "config" / "smoke.yaml").read_text()
    assert smoke.count("\ndatasets:\n") == 1
    text = smoke.replace("\ndatasets:\n", f"\ndatasets:\n{LINE}\n", 1)
    assert [line for line in text.splitlines() if line != LINE] == smoke.splitlines()  # one line added
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "held_out.yaml"
    path.write_text(text)
    return path


def train_jobs(output: str) -> set[tuple[str, str, int, int]]:
    """(dataset, model, m, seed) of every training job a dry run planned."""
    jobs = set()
    for block in re.split(r"^\[.*\]$", output, flags=re.M):
        found = re.search(r"wildcards: dataset=(\w+), model=(\w+), m=(\d+), seed=(\d+)", block)
        if block.lstrip().startswith("rule train:") and found:
            jobs.add((found[1], found[2], int(found[3]), int(found[4])))
    return jobs


def expected_runs(name: str = "synthetic6") -> set[tuple[str, str, int, int]]:
    return {(name, model, m, seed) for model in ("maae", "wae") for m in M for seed in (0, 1)}


# ---- plans ------------------------------------------------------------------------------------------------


@needs_snakemake
def test_one_line_adds_a_held_out_n_to_the_plan(tmp_path: Path) -> None:
    """`all` plans Synthetic6's 20 runs (MAAE and WAE, 5 m, 2 seeds), its own prepare and aggregation, beside
    every run smoke.yaml already planned."""
    scale = held_out_scale(tmp_path)
    done = dry_run(tmp_path / "plan", scale, "all")
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    jobs = train_jobs(done.stdout)
    assert {job for job in jobs if job[0] == "synthetic6"} == expected_runs()
    cfg = scales.load(scale)
    counts = job_counts(done.stdout)
    assert (
        counts["train"]
        == counts["score"]
        == len(jobs)
        == sum(len(scales.runs(cfg, d)) for d in cfg["datasets"])
    )
    assert counts["prepare"] == counts["aggregate_dataset"] == len(cfg["datasets"]) == 7
    assert "runs/synthetic6/runs.csv" in done.stdout and counts["verdict_report"] == 1


@needs_snakemake
def test_the_synthetic_target_trains_a_held_out_n(tmp_path: Path) -> None:
    """`snakemake synthetic` (the synthetic part of a scale) covers every synthetic data set by its data,
    one that no figure or table names included."""
    done = dry_run(tmp_path, held_out_scale(tmp_path), "synthetic")
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert {job for job in train_jobs(done.stdout) if job[0] == "synthetic6"} == expected_runs()
    assert "runs/synthetic6/runs.csv" in done.stdout


def test_the_manifest_carries_the_held_out_n(tmp_path: Path) -> None:
    pytest.importorskip("jsonschema", reason="scales.load validates with jsonschema (a Snakemake dependency)")
    scale = held_out_scale(tmp_path)
    overrides = {"results": str(tmp_path / "results"), "data_root": str(tmp_path / "data")}
    entry = scales.manifest(scales.load(scale, overrides), str(scale))["datasets"]["synthetic6"]
    assert entry["data"] == "synthetic" and entry["n"] == N and entry["status"] == "ok"
    assert entry["m"] == list(M) and entry["seeds"] == [0, 1] and entry["capacity"] == 12
    assert entry["metric"] == "fd_raw" and entry["models"] == ["maae", "wae"]
    assert {("synthetic6", model, m, seed) for model, m, seed in entry["runs"]} == expected_runs()
    # judged as planned: the manifest's own entry (lengthened past the training gate) passes for the working
    # method, on n = 6
    info = {**entry, "steps": REF["training_length"]["min_steps"]}
    for claim in SYNTHETIC_CLAIMS:
        p = part(verdict(claim, inputs({"synthetic6": (info, working(N))})), "synthetic6")
        assert p.status == "pass", (claim, p.reason)


# ---- judges -----------------------------------------------------------------------------------------------


def target(claim: str, evidence: dict) -> int:
    """The n (or m0, or capacity) a part was judged against, from its evidence."""
    key = {"synthetic_m_active": "n", "wae_u_shape": "target", "nac_maae_below_wae": "m"}.get(claim, "m0")
    return evidence[key]


@pytest.mark.parametrize("claim", SYNTHETIC_CLAIMS)
def test_every_synthetic_claim_judges_the_held_out_n(claim: str) -> None:
    v = verdict(claim, inputs({"synthetic6": (SYN6, working(N))}))
    p = part(v, "synthetic6")
    assert p.status == "pass", p.reason
    assert target(claim, p.evidence) == (12 if claim == "nac_maae_below_wae" else N)  # NAC: at the capacity
    if claim == "wae_u_shape":
        assert p.evidence["minimum at m"] == N and p.evidence["target is"] == "n"
    if claim == "nac_maae_below_wae":
        assert p.evidence.get("paper") is None  # the paper has no Synthetic6 row: no numbers made up


@pytest.mark.parametrize("claim", [c for c in SYNTHETIC_CLAIMS if c != "wae_u_shape"])
def test_a_mask_that_does_nothing_fails_on_the_held_out_n(claim: str) -> None:
    """As for n = 8: m_A, flatness (score and KDE) and NAC fail when MAAE is the WAE."""
    v = verdict(claim, inputs({"synthetic6": (SYN6, broken(N))}))
    assert v.status == "fail" and part(v, "synthetic6").status == "fail", v.reason
    if claim == "synthetic_m_active":
        assert "miss n = 6" in v.reason and "m = 12, seed 0: m_A = 12" in v.reason
    if claim in ("maae_flat_wae_worsens", "table3_kde"):
        assert "MAAE does not stay near its best" in v.reason


def test_a_u_around_another_m_fails_on_the_held_out_n() -> None:
    """The U-shape judges the WAE alone (the broken MAAE leaves it a U at n); a U around 12 fails."""
    assert verdict("wae_u_shape", inputs({"synthetic6": (SYN6, broken(N))})).status == "pass"
    laws = working(N)
    laws["wae"] = {**laws["wae"], "score": lambda m, s: 1.0 + 0.5 * abs(m - 12) + 0.02 * s}
    v = verdict("wae_u_shape", inputs({"synthetic6": (SYN6, laws)}))
    assert v.status == "fail" and "minimum at m = 12" in v.reason and "near 6" in v.reason


@pytest.mark.parametrize("claim", ["synthetic_m_active", "maae_flat_wae_worsens", "table3_kde"])
def test_a_method_tuned_to_n_8_fails_on_n_6(claim: str) -> None:
    """A method whose mask always keeps 8 dimensions passes on Synthetic8 and fails on Synthetic6: the
    claims are judged against each data set's own n, not the n the suite was tuned on."""
    tuned = inputs({"synthetic8": (SYN8, working(8)), "synthetic6": (SYN6, working(8))})
    v = verdict(claim, tuned)
    assert part(v, "synthetic8").status == "pass" and part(v, "synthetic6").status == "fail"
    assert v.status == "fail" and v.reason.startswith("fails on synthetic6")


def test_the_held_out_n_decides_the_verdict_beside_the_papers_data_sets() -> None:
    """With Synthetic8, Synthetic16 and MNIST working, a broken Synthetic6 alone fails each claim it
    fails above, and a working one lets every synthetic claim pass."""
    others = {
        "synthetic8": (SYN8, working(8)),
        "synthetic16": (SYN16, working(16)),
        "mnist": (MNIST, working(13)),
    }
    good = inputs({"synthetic6": (SYN6, working(N)), **others})
    bad = inputs({"synthetic6": (SYN6, broken(N)), **others})
    for claim in SYNTHETIC_CLAIMS:
        v = verdict(claim, good)
        assert v.status == "pass" and part(v, "synthetic6").status == "pass", (claim, v.reason)
        if claim != "wae_u_shape":
            v = verdict(claim, bad)
            assert v.status == "fail" and v.reason.startswith("fails on synthetic6:"), (claim, v.reason)
            assert all(p.status != "fail" for p in v.parts if p.dataset != "synthetic6")
