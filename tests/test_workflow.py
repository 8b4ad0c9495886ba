"""The Snakemake workflow planned (dry runs, no training): the grid, per-target planning, config errors."""

from __future__ import annotations

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


@needs_snakemake
def test_paper_scale_plans_the_whole_grid(tmp_path: Path) -> None:
    done = dry_run(tmp_path, "paper")
    assert done.returncode == 0, done.stderr[-2000:]
    counts = job_counts(done.stdout)
    # Synthetic8 16 m x 3 seeds, Synthetic16 40 m x 3 seeds, MNIST 17 m, three capacities; both models.
    # plus the WAE-GAN at each data set's capacity: 3 seeds on each synthetic set, 1 on each image set
    runs = 2 * (16 * 3 + 40 * 3 + 17 + 1 + 1 + 1) + 2 * 3 + 4
    assert counts["train"] == counts["score"] == runs
    assert counts["prepare"] == counts["aggregate_dataset"] == 6
    assert counts["table"] == 3 and counts["verdict_report"] == 1 and counts["baseline"] == 1
    # workflow/Snakefile (the catalog's layout) is what makes Snakemake find workflow/profiles/default
    assert "workflow specific profile workflow/profiles/default" in done.stdout + done.stderr


@needs_snakemake
def test_one_figure_plans_only_its_runs(tmp_path: Path) -> None:
    done = dry_run(tmp_path, "paper", "fig4a")
    assert done.returncode == 0, done.stderr[-2000:]
    counts = job_counts(done.stdout)
    assert counts["train"] == counts["score"] == 2 * 16 * 3 + 3  # Synthetic8 only (+ its WAE-GAN)
    assert counts["prepare"] == counts["aggregate_dataset"] == counts["figure"] == 1
    assert "mnist" not in done.stdout and "table" not in counts


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
def test_the_study_plans_apart_from_the_grid(tmp_path: Path) -> None:
    """`snakemake sensitivity` plans the study's runs alone; `all` plans none of them."""
    done = dry_run(tmp_path, "cpu", "sensitivity")
    assert done.returncode == 0, done.stderr[-2000:]
    counts = job_counts(done.stdout)
    # 3 n x 2 seeds at the base (MAAE and the WAE yardstick) and at 13 other settings (MAAE)
    assert counts["train_study"] == counts["score_study"] == 3 * 2 * (2 + 13)
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
