"""The Snakemake workflow planned (dry runs, no training): the grid, per-target planning, config errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = shutil.which("snakemake", path=str(Path(sys.executable).parent)) or shutil.which("snakemake")
needs_snakemake = pytest.mark.skipif(SNAKEMAKE is None, reason="snakemake is not installed")


def fake_data_root(root: Path) -> Path:
    """Empty files where every image data set is looked for: enough to plan, never read in a dry run."""
    for folder in ("MNIST", "FashionMNIST"):
        for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                     "t10k-labels-idx1-ubyte"):  # fmt: skip
            (root / folder / "raw").mkdir(parents=True, exist_ok=True)
            (root / folder / "raw" / f"{stem}.gz").touch()
    (root / "cifar-10-batches-py").mkdir(parents=True)
    for batch in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (root / "cifar-10-batches-py" / batch).touch()
    (root / "celeba" / "img_align_celeba").mkdir(parents=True)
    (root / "celeba" / "list_eval_partition.txt").touch()
    return root


def dry_run(
    tmp_path: Path, scale: str | Path, *targets: str, config: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """Plan ``targets`` of a scale (a name under config/, or a scale file's path), results and data in
    tmp_path."""
    data = fake_data_root(tmp_path / "data")
    scale_file = scale if isinstance(scale, Path) else ROOT / "config" / f"{scale}.yaml"
    command = [SNAKEMAKE, *targets, "-n", "--directory", str(ROOT), f"--configfile={scale_file}"]
    command += ["--config", f"results={tmp_path / 'results'}", f"data_root={data}", *config]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)


def job_counts(output: str) -> dict[str, int]:
    table = output.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


# Synthetic8 16 m x 3 seeds, Synthetic16 40 m x 3 seeds, MNIST 17 m, three capacities; both models,
# plus the WAE-GAN at each data set's capacity: 3 seeds on each synthetic set, 1 on each image set
PAPER_RUNS = 2 * (16 * 3 + 40 * 3 + 17 + 1 + 1 + 1) + 2 * 3 + 4


def pack_members(output: str) -> dict[str, int]:
    """Runs per pack job of a dry run: its rule name -> the summary.json files among its outputs."""
    members = {}
    for block in re.split(r"^\[.*\]$", output, flags=re.M):
        found = re.match(r"\s*(?:localrule|rule) (train_pack_\w+):", block)
        if found:
            outputs = re.search(r"^\s*output: (.*)$", block, re.M)[1]
            members[found[1]] = outputs.count("summary.json")
    return members


@needs_snakemake
def test_paper_scale_plans_the_whole_grid(tmp_path: Path) -> None:
    done = dry_run(tmp_path, "paper")
    assert done.returncode == 0, done.stderr[-2000:]
    counts = job_counts(done.stdout)
    packs = pack_members(done.stdout)
    # packed (maae.pack): Synthetic8's 96 MAAE and WAE runs in one job and its 3 WAE-GANs in another;
    # Synthetic16's 240 in jobs of 96, 96 and 48, and its WAE-GANs; MNIST's 34 in two of 17; Fashion's
    # MAAE and WAE. One job per run: MNIST's and Fashion's WAE-GAN, CIFAR-10 and CelebA (convolutional).
    assert sorted(packs.values()) == [2, 3, 3, 17, 17, 48, 96, 96, 96]
    assert all(counts[name] == 1 for name in packs) and counts["train"] == 8
    assert counts["train"] + sum(packs.values()) == counts["score"] == PAPER_RUNS
    assert counts["prepare"] == counts["aggregate_dataset"] == 6
    assert counts["table"] == 3 and counts["verdict_report"] == 1 and counts["baseline"] == 1
    # workflow/Snakefile (the catalog's layout) is what makes Snakemake find workflow/profiles/default
    assert "workflow specific profile workflow/profiles/default" in done.stdout + done.stderr


@needs_snakemake
def test_without_packing_the_paper_scale_is_one_job_per_run(tmp_path: Path) -> None:
    paper = (ROOT / "config" / "paper.yaml").read_text()
    solo = tmp_path / "paper_solo.yaml"
    solo.write_text("\n".join(line for line in paper.splitlines() if not line.startswith("    pack: ")))
    done = dry_run(tmp_path, solo)
    assert done.returncode == 0, done.stderr[-2000:]
    counts = job_counts(done.stdout)
    assert counts["train"] == counts["score"] == PAPER_RUNS and not pack_members(done.stdout)


@needs_snakemake
def test_one_figure_plans_only_its_runs(tmp_path: Path) -> None:
    done = dry_run(tmp_path, "paper", "fig4a")
    assert done.returncode == 0, done.stderr[-2000:]
    counts = job_counts(done.stdout)
    # Synthetic8 only: its grid's pack and its WAE-GAN's
    assert pack_members(done.stdout) == {"train_pack_synthetic8_0": 96, "train_pack_synthetic8_1": 3}
    assert counts["score"] == 2 * 16 * 3 + 3 and "train" not in counts
    assert counts["prepare"] == counts["aggregate_dataset"] == counts["figure"] == 1
    assert "mnist" not in done.stdout and "table" not in counts


@needs_snakemake
def test_a_figure_of_single_runs_plans_only_those_runs(tmp_path: Path) -> None:
    """Figure 8 draws one MAAE run's training curves: it plans that run's training alone (no scoring, no
    other run of MNIST, no aggregation); the NAC heatmaps plan their two runs at the capacity, scored."""
    done = dry_run(tmp_path, "smoke", "fig8")
    assert done.returncode == 0, done.stderr[-2000:]
    counts = job_counts(done.stdout)
    assert {k: counts[k] for k in ("prepare", "train", "figure")} == {"prepare": 1, "train": 1, "figure": 1}
    assert not {"score", "aggregate_dataset", "runs_table"} & set(counts)
    assert "runs/mnist/maae/m24/seed0" in done.stdout
    (tmp_path / "data").rename(tmp_path / "data0")  # fake_data_root makes it again
    done = dry_run(tmp_path, "smoke", "heatmaps_synthetic8")
    assert done.returncode == 0, done.stderr[-2000:]
    counts = job_counts(done.stdout)
    assert {k: counts.get(k) for k in ("train", "score", "aggregate_dataset")} == {
        "train": 2,
        "score": 2,
        "aggregate_dataset": None,
    }


@needs_snakemake
def test_the_committed_cpu_reference_re_renders_without_training(tmp_path: Path) -> None:
    """results/reference/cpu keeps its runs without weights; restored, `snakemake all` must only render
    (a figure that asked for model.pt retrained two MNIST runs on another machine, other bits)."""
    restore = [sys.executable, str(ROOT / "workflow" / "scripts" / "reference_parts.py"), "restore"]
    restore += [
        "--results",
        str(tmp_path / "results"),
        "--reference",
        str(ROOT / "results" / "reference" / "cpu"),
    ]
    subprocess.run(restore, check=True, capture_output=True, timeout=120)
    done = dry_run(tmp_path, "cpu", "all", config=("--rerun-triggers", "mtime"))
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    counts = job_counts(done.stdout)
    assert not {"prepare", "train", "score", "train_study", "score_study"} & set(counts), counts
    assert counts["figure"] >= 1 and counts["verdict_report"] == 1


@needs_snakemake
def test_bad_config_fails_before_any_job(tmp_path: Path) -> None:
    done = dry_run(tmp_path, "smoke", config=("threads=0",))
    said = done.stdout + done.stderr  # Snakemake prints schema errors on stdout
    assert done.returncode != 0 and "instance['threads']" in said and "Job stats" not in said
    (tmp_path / "data").rename(tmp_path / "data0")  # fake_data_root makes it again
    done = dry_run(tmp_path, "smoke", config=("only=[synthetic9]",))
    said = done.stdout + done.stderr
    assert done.returncode != 0 and "only: 'synthetic9'" in said and "Job stats" not in said


@needs_snakemake
def test_a_study_named_like_a_rule_is_refused(tmp_path: Path) -> None:
    done = dry_run(tmp_path, "smoke", config=("studies={score: {n: [4], seeds: [0], steps: 100}}",))
    said = done.stdout + done.stderr
    assert done.returncode != 0 and "studies.score: the name of a target or rule" in said


@needs_snakemake
def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    """`-n` previews: not even the scale stamp is written (a preview with another only: moved it, and the
    next real run re-made every table and figure)."""
    done = dry_run(tmp_path, "smoke", "all", config=("only=[synthetic8]",))
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    results = tmp_path / "results"
    assert not results.exists() or not [p for p in results.rglob("*") if p.is_file()]


@needs_snakemake
def test_nested_config_values_plan_as_numbers(tmp_path: Path) -> None:
    """--config 'run={train.steps: 50}' plans (Snakemake leaves the 50 a string; the suite types it),
    and a study changed on the command line is checked against the schema as numbers."""
    done = dry_run(tmp_path, "smoke", "all", config=("run={train.steps: 50}",))
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    (tmp_path / "data").rename(tmp_path / "data0")  # fake_data_root makes it again
    study = "studies={capacity: {n: [4], m_per_n: 4, seeds: [0], steps: 100, models: [maae]}}"
    done = dry_run(tmp_path, "cpu", "capacity", config=(study,))
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    assert job_counts(done.stdout)["train_study"] == 1


@needs_snakemake
def test_the_study_plans_apart_from_the_grid(tmp_path: Path) -> None:
    """`snakemake sensitivity` plans the study's runs alone; `all` plans none of them."""
    done = dry_run(tmp_path, "cpu", "sensitivity")
    assert done.returncode == 0, done.stderr[-2000:]
    counts = job_counts(done.stdout)
    # 3 n x 2 seeds at the base (MAAE and the WAE yardstick) and at 15 other settings (MAAE)
    assert counts["train_study"] == counts["score_study"] == 3 * 2 * (2 + 15)
    assert counts["prepare_study"] == 3 and "train" not in counts
    assert counts["study_table"] == counts["study_figures"] == counts["study_verdict"] == 1
    (tmp_path / "data").rename(tmp_path / "data0")  # fake_data_root makes it again
    done = dry_run(tmp_path, "cpu", "all")
    assert done.returncode == 0 and "train_study" not in job_counts(done.stdout)


@needs_snakemake
def test_the_default_profile_runs_one_gpu_job_at_a_time(tmp_path: Path) -> None:
    """Without a limit Snakemake would start every `gpu: 1` job at once on a one-GPU workstation; with the
    default profile, four such jobs given four cores run one after another."""
    (tmp_path / "Snakefile").write_text(
        'rule all:\n    input: expand("o{i}.txt", i=range(4))\n'
        'rule a:\n    output: "o{i}.txt"\n    resources: gpu=1\n'
        '    shell: "date +%s.%N > {output}; sleep 1; date +%s.%N >> {output}"\n'
    )
    profile = ROOT / "workflow" / "profiles" / "default"
    done = subprocess.run(
        [SNAKEMAKE, "--cores", "4", "--profile", str(profile)], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    spans = sorted(tuple(map(float, (tmp_path / f"o{i}.txt").read_text().split())) for i in range(4))
    assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False))


@needs_snakemake
def test_a_pack_job_trains_its_members_into_their_own_folders(tmp_path: Path) -> None:
    """A data set with `pack: all` (added to a copy of the smoke scale, the only one run): one job trains
    its MAAE and WAE runs, each folder a run's, scored and tabulated as any other; a second call has
    nothing to do."""
    line = (
        "  toy: {data: {name: synthetic, n: 2, d: 8, n_train: 400, n_val: 100, n_test: 100}, m: [2, 4],"
        " steps: 20, pack: all, run: {model.width: 16, train.log_every: 5, train.checkpoint_every: 10},"
        " score: {n_samples: 100, n_real: 100, n_codes: 50, kde_n_fit: 100, kde_n_val: 100}}"
    )
    smoke = (ROOT / "config" / "smoke.yaml").read_text()
    scale = tmp_path / "toy.yaml"
    scale.write_text(smoke.replace("\ndatasets:\n", f"\ndatasets:\n{line}\n", 1))
    results = tmp_path / "results"
    command = [SNAKEMAKE, "runs", "--cores", "2", "--directory", str(ROOT), f"--configfile={scale}"]
    command += ["--config", f"results={results}", "only=[toy]"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    counts = job_counts(done.stdout + done.stderr)
    assert counts["train_pack_toy_0"] == 1 and "train" not in counts and counts["score"] == 4
    for model in ("maae", "wae"):
        for m in (2, 4):
            summary = json.loads(
                (results / "runs" / "toy" / model / f"m{m}" / "seed0" / "summary.json").read_text()
            )
            assert (summary["model"], summary["m"], summary["pack_members"]) == (model, m, 4)
    assert len((results / "runs" / "toy" / "runs.csv").read_text().splitlines()) == 1 + 4
    again = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr
