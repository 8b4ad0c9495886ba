"""The fault catalogue at the level users meet faults: the Snakemake DAG (README, "Fault catalogue").

Each case runs the smallest part of the smoke scale that exercises it: config/smoke.yaml with `only:
[synthetic8]`, MAAE alone at m = 4, seeds 0 and 1, 20 iterations and small sample counts (two runs; see
``write_scale``), in a working directory of its own (its own .snakemake/ and results/). What must hold in
every case: nothing finished is lost or trained again, no half-written file is ever read as finished, and
a refusal or failure says what and where in one line.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEFILE = ROOT / "workflow" / "Snakefile"
SNAKEMAKE = shutil.which("snakemake", path=str(Path(sys.executable).parent)) or shutil.which("snakemake")
RUN_MODULE = ROOT / "workflow" / "scripts" / "run_module.py"
RUNS = "results/runs/synthetic8"
pytestmark = pytest.mark.skipif(SNAKEMAKE is None, reason="snakemake is not installed")


# ---- the smallest part of the smoke scale ----------------------------------------------------------------


def write_scale(path: Path, m=(4,), seeds=(0, 1), only=("synthetic8",), steps=20, **top) -> Path:
    """config/smoke.yaml cut to MAAE on synthetic8 at a few m and seeds, 20 iterations (2 checkpoints), small
    samples, no naive search (it needs the WAE).
    Results go to results/ under the working directory, so paths inside run folders are the same in every
    working directory and outputs can be compared byte for byte."""
    cfg = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    cfg.update(results="results", only=list(only), run={"train.log_every": 5, "train.checkpoint_every": 10})
    data = cfg["datasets"]["synthetic8"]
    data.update(
        m=list(m), seeds=list(seeds), steps=steps, capacity=max(m), models=["maae"], capacity_models=[]
    )
    data["data"].update(n_train=512, n_val=128, n_test=128)
    data["score"] = {"n_samples": 128, "n_real": 128, "n_codes": 64, "kde_n_fit": 128, "kde_n_val": 128}
    cfg["baselines"]["datasets"] = []
    cfg.update(top)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def command(workdir: Path, scale: Path, *targets: str) -> list[str]:
    return [SNAKEMAKE, *targets, "-s", str(SNAKEFILE), "--directory", str(workdir), "--cores", "2",
            f"--configfile={scale}"]  # fmt: skip


def snakemake(workdir: Path, scale: Path, *targets: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command(workdir, scale, *targets), capture_output=True, text=True, timeout=timeout)


def said(done: subprocess.CompletedProcess) -> str:
    return done.stdout + done.stderr


def job_counts(output: str) -> dict[str, int]:
    if "Job stats:" not in output:
        return {}
    table = output.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    rows = [line.split() for line in table.splitlines()]
    return {row[0]: int(row[1]) for row in rows if len(row) == 2 and row[1].isdigit()}


def run_folders(results: Path) -> list[Path]:
    return sorted(p.parent for p in results.glob("runs/*/*/m*/seed*/config.json"))


def fingerprint(folder: Path) -> dict[str, str]:
    """model.pt's bytes, and scores.json but for its timing (score_seconds) and the run folder's absolute
    path (run), per run, as sha256."""
    out = {}
    for run in run_folders(folder):
        key = str(run.relative_to(folder))
        out[f"{key}/model.pt"] = hashlib.sha256((run / "model.pt").read_bytes()).hexdigest()
        scores = json.loads((run / "scores.json").read_text())
        scores.pop("score_seconds"), scores.pop("run")
        out[f"{key}/scores.json"] = hashlib.sha256(json.dumps(scores, sort_keys=True).encode()).hexdigest()
    return out


def wait_for(condition, timeout: float = 240, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError(what)
        time.sleep(0.1)


def copy_workdir(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)  # copy2: mtimes kept, so Snakemake sees the same DAG state
    return dst


# ---- mounts (root only; a case that needs one is skipped where mounting is not allowed) ----------------


@contextlib.contextmanager
def mounted(*args: str) -> Iterator[None]:
    target = args[-1]
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()}): needs root")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", target], check=False)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """folder, bind-mounted read-only over itself: even root cannot write there."""
    with mounted("--bind", str(folder), str(folder)):
        done = subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot remount read-only: {done.stderr.strip()}")
        yield


# ---- the reference: one uninterrupted DAG, with a second process started beside it (case g) ----------


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The two runs to the end (target `runs`). While it holds its locks, it is stopped (SIGSTOP) and the
    same command is started a second time in the same working directory; then it continues."""
    work = tmp_path_factory.mktemp("reference")
    scale = write_scale(work / "scale.yaml")
    first = subprocess.Popen(command(work, scale, "runs"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, start_new_session=True)  # fmt: skip
    try:
        owner = work / ".snakemake" / "maae-lock-owner.json"
        wait_for(lambda: owner.is_file() or first.poll() is not None, what="the first process's onstart")
        os.killpg(first.pid, signal.SIGSTOP)
        try:
            before = sorted(str(p.relative_to(work)) for p in (work / "results").rglob("*"))
            second = snakemake(work, scale, "runs")
            after = sorted(str(p.relative_to(work)) for p in (work / "results").rglob("*"))
        finally:
            os.killpg(first.pid, signal.SIGCONT)
        output, _ = first.communicate(timeout=600)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode == 0, output[-3000:]
    return {"work": work, "scale": scale, "second": second, "before": before, "after": after}


def test_second_process_on_the_same_results_refuses(reference: dict) -> None:
    """(g) Snakemake's lock: the second process refuses before it plans a job, and changes nothing."""
    second = reference["second"]
    assert second.returncode != 0
    assert "Directory cannot be locked" in said(second)
    assert reference["before"] == reference["after"]  # it wrote and deleted nothing
    assert len(run_folders(reference["work"] / "results")) == 2 and fingerprint(reference["work"] / "results")


def test_killed_dag_resumes_to_identical_outputs(reference: dict, tmp_path: Path) -> None:
    """(a) Snakemake and its running jobs SIGKILLed mid-DAG, then the same command again: no --unlock
    needed, every run ends byte-identical to the uninterrupted DAG's, and no finished run trains again."""
    work = tmp_path / "work"
    work.mkdir()
    scale = write_scale(work / "scale.yaml")
    results = work / "results"
    dag = subprocess.Popen(command(work, scale, "runs"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)  # fmt: skip
    try:
        wait_for(lambda: any(results.glob("runs/*/*/m*/seed*/scores.json")) or dag.poll() is not None,
                 what="the first scores.json")  # fmt: skip
        os.killpg(dag.pid, signal.SIGKILL)
    finally:
        if dag.poll() is None:
            os.killpg(dag.pid, signal.SIGKILL)
        dag.wait()
    scored = {run: (run / "model.pt").stat().st_mtime_ns for run in run_folders(results)
              if (run / "scores.json").is_file()}  # fmt: skip
    assert dag.returncode == -signal.SIGKILL and len(scored) == 1, "killed mid-DAG"
    assert any((work / ".snakemake" / "locks").glob("*.lock")), "the kill left Snakemake's locks behind"

    again = snakemake(work, scale, "runs")
    assert again.returncode == 0, said(again)[-3000:]
    assert "removed the locks left by Snakemake process" in said(again)
    assert fingerprint(results) == fingerprint(reference["work"] / "results")
    for run, mtime in scored.items():  # trained before the kill: not trained again
        assert (run / "model.pt").stat().st_mtime_ns == mtime, run


def test_hand_edited_run_folder_is_refused(reference: dict, tmp_path: Path) -> None:
    """(d) config.json of a finished run edited by hand: the same command refuses, naming the key, before
    any job runs (nothing deleted)."""
    work = copy_workdir(reference["work"], tmp_path / "work")
    run = work / RUNS / "maae" / "m4" / "seed0"
    cfg = json.loads((run / "config.json").read_text())
    cfg["model"]["lambda1"] = 31.0
    (run / "config.json").write_text(json.dumps(cfg))
    model = (run / "model.pt").stat().st_mtime_ns
    done = snakemake(work, reference["scale"], "runs")
    assert done.returncode != 0
    lines = [line for line in said(done).splitlines() if "run folder refused" in line]
    assert (
        lines
        and "model.lambda1" in lines[0]
        and "31.0" in lines[0]
        and str(run.relative_to(work)) in lines[0]
    )
    assert (run / "model.pt").stat().st_mtime_ns == model and (run / "scores.json").is_file()
    # the same when the scale file changes an option of finished runs: refused before Snakemake deletes them
    (run / "config.json").write_text(json.dumps({**cfg, "model": {**cfg["model"], "lambda1": 30.0}}))
    done = snakemake(work, write_scale(work / "scale.yaml", steps=30), "runs")
    refused = [line for line in said(done).splitlines() if "run folder refused: " in line]
    assert done.returncode != 0 and refused and "train.steps: " in refused[0]  # and the λ3 interval, 5% of it
    assert (run / "model.pt").stat().st_mtime_ns == model


def test_changed_scale_trains_only_what_changed(reference: dict, tmp_path: Path) -> None:
    """(e) The scale file changed between two runs of the same command (m = 8 added, seed 1 removed): only
    the new run trains; the tidy table and the manifest (what tables, figures and the verdict state)
    cover m 4 and 8, seed 0."""
    work = copy_workdir(reference["work"], tmp_path / "work")
    results = work / "results"
    kept = {run: (run / "model.pt").stat().st_mtime_ns for run in run_folders(results)}
    scale = write_scale(work / "scale.yaml", m=(4, 8), seeds=(0,))
    done = snakemake(work, scale, "runs")
    assert done.returncode == 0, said(done)[-3000:]
    counts = job_counts(said(done))
    assert counts.get("train") == 1 and counts.get("score") == 1, counts
    for run, mtime in kept.items():  # seed 1 is no longer asked for; its folder is left as it was
        assert (run / "model.pt").stat().st_mtime_ns == mtime, run
    assert (work / RUNS / "maae" / "m8" / "seed0" / "model.pt").is_file()
    rows = (results / "runs.csv").read_text().splitlines()
    header = rows[0].split(",")
    m, seed = header.index("m"), header.index("seed")
    assert sorted((int(r.split(",")[m]), int(r.split(",")[seed])) for r in rows[1:]) == [(4, 0), (8, 0)]
    manifest = json.loads((results / "datasets.json").read_text())["datasets"]["synthetic8"]
    assert manifest["m"] == [4, 8] and manifest["seeds"] == [0]


def test_read_only_results_root(reference: dict, tmp_path: Path) -> None:
    """(f) A finished results root mounted read-only: the same command has nothing to do and succeeds; a
    target that needs writing fails naming the read-only path, and the results are unchanged."""
    work = copy_workdir(reference["work"], tmp_path / "work")
    before = fingerprint(work / "results")
    with read_only(work / "results"):
        done = snakemake(work, reference["scale"], "runs")
        assert done.returncode == 0, said(done)[-3000:]
        assert "Nothing to be done" in said(done)
        done = snakemake(work, reference["scale"], "table2")
        assert done.returncode != 0
        assert "Read-only file system: 'results/tables'" in said(done)
    assert fingerprint(work / "results") == before


# ---- image data from a read-only, symlinked data root --------------------------------------------------


def write_idx(path: Path, array: np.ndarray) -> None:
    magic = 2049 if array.ndim == 1 else 2051
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(struct.pack(f">{array.ndim + 1}I", magic, *array.shape) + array.tobytes()))


def test_read_only_symlinked_data_root(tmp_path: Path) -> None:
    """(f) data_root a symlink to a read-only MNIST copy (tiny, fabricated): the DAG reads it, writes its
    caches under the results root, and the data root is unchanged."""
    source = tmp_path / "mnist-copy"
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 96), ("t10k", 48)):
        write_idx(source / "MNIST" / "raw" / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))  # fmt: skip
        write_idx(
            source / "MNIST" / "raw" / f"{prefix}-labels-idx1-ubyte.gz",
            rng.integers(0, 10, n, dtype=np.uint8),
        )
    listing = sorted((str(p.relative_to(source)), p.stat().st_size) for p in source.rglob("*"))
    link = tmp_path / "data"
    link.symlink_to(source, target_is_directory=True)
    work = tmp_path / "work"
    work.mkdir()
    scale = write_scale(work / "scale.yaml", only=("mnist",), data_root=str(link))
    cfg = yaml.safe_load(scale.read_text())
    cfg["datasets"]["mnist"].update(m=[8], steps=10, capacity=8, models=["maae"], capacity_models=[],
                                    run={"model.width": 32, "train.lambda3_interval": 5})  # fmt: skip
    cfg["datasets"]["mnist"]["score"].update(n_samples=32, n_real=32, n_codes=16, lenet_epochs=1)
    cfg["figures"].update(fig5={"dataset": "mnist", "m": [8]}, fig8={"dataset": "mnist", "m": 8})
    scale.write_text(yaml.safe_dump(cfg, sort_keys=False))
    with read_only(source):
        done = snakemake(work, scale, "runs")
    assert done.returncode == 0, said(done)[-3000:]
    assert len(run_folders(work / "results")) == 1
    assert sorted((str(p.relative_to(source)), p.stat().st_size) for p in source.rglob("*")) == listing


# ---- the job level: a job killed while writing, a full disk --------------------------------------------


def tiny_run_args(data: Path, out: Path, steps: int = 30) -> list[str]:
    sets = {"data.root": str(data), "data.n": 3, "data.d": 16, "data.hidden": 32, "data.n_train": 256,
            "data.n_val": 64, "data.n_test": 128, "model.m": 4, "model.width": 32, "train.steps": steps,
            "train.batch_size": 16, "train.critic_steps": 2, "train.checkpoint_every": 10,
            "train.log_every": 5, "train.threads": 1, "train.progress": "none",
            "train.device": "cpu"}  # fmt: skip
    return ["train", *(f"--set={k}={json.dumps(v)}" for k, v in sets.items()), "--out", str(out)]


KILL_AT_RENAME = """
import os, runpy, signal, sys
target = sys.argv[1]
real = os.replace
def replace(src, dst, *args, **kwargs):
    if str(dst).endswith(target):  # the temporary file is complete; the rename never happens
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst, *args, **kwargs)
os.replace = replace
sys.argv = ["maae", *sys.argv[2:]]
runpy.run_module("maae", run_name="__main__", alter_sys=True)
"""


def maae(*args: str, kill_at: str | None = None, via_workflow: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if kill_at:
        command = [sys.executable, "-c", KILL_AT_RENAME, kill_at, *args]
    elif via_workflow:  # as a workflow job runs it
        command = [sys.executable, str(RUN_MODULE), "-m", "maae", *args]
    else:
        command = [sys.executable, "-m", "maae", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("uninterrupted")
    done = maae(*tiny_run_args(root / "data", root / "run"))
    assert done.returncode == 0, done.stderr
    return root


def test_job_killed_while_writing_a_checkpoint(uninterrupted: Path, tmp_path: Path) -> None:
    """(b) A training job SIGKILLed between writing its checkpoint and renaming it into place: the
    complete-looking temporary file is never read as a checkpoint; the rerun resumes from the one before and
    ends byte-identical to an uninterrupted run."""
    data, run = uninterrupted / "data", tmp_path / "run"
    killed = maae(*tiny_run_args(data, run), kill_at="step_000000020.pt")
    assert killed.returncode == -signal.SIGKILL
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert "step_000000010.pt" in names and "step_000000020.pt" not in names
    assert any(n.startswith(".step_000000020.pt.") and n.endswith(".tmp") for n in names), names
    again = maae(*tiny_run_args(data, run))
    assert again.returncode == 0, again.stderr
    assert "from step 10" in again.stderr
    assert (run / "model.pt").read_bytes() == (uninterrupted / "run" / "model.pt").read_bytes()


def test_job_killed_while_writing_scores(uninterrupted: Path, tmp_path: Path) -> None:
    """(b) A score job SIGKILLed before scores.json is renamed into place: there is no scores.json (so the
    DAG never reads one: the job reruns), and the rerun writes a whole one."""
    run = shutil.copytree(uninterrupted / "run", tmp_path / "run")
    args = ("score", "--run", str(run), "--metrics", "fd_raw,nac", "--n-samples", "64", "--n-real", "64",
            "--n-codes", "32", "--device", "cpu")  # fmt: skip
    killed = maae(*args, kill_at="scores.json")
    assert killed.returncode == -signal.SIGKILL
    assert not (run / "scores.json").exists()
    assert [p.name for p in run.glob(".scores.json.*.tmp")]
    again = maae(*args)
    assert again.returncode == 0, again.stderr
    assert set(json.loads((run / "scores.json").read_text())["scores"]) >= {"fd_raw", "nac"}


def fill(folder: Path, leave: int = 0) -> None:
    """Fill folder's file system up to `leave` free bytes."""
    free = shutil.disk_usage(folder).free - leave
    with open(folder / "filler", "wb") as f:
        with contextlib.suppress(OSError):
            f.write(b"\0" * max(free, 0))


def test_disk_full_while_writing_a_checkpoint(uninterrupted: Path, tmp_path: Path) -> None:
    """(c) The disk fills while the second checkpoint is written (a tmpfs holding the run folder, filled to
    leave room for less than one checkpoint): the job stops with one line naming the checkpoint, and the
    checkpoint before it is intact; once there is room, the same command finishes the run identically."""
    size = (uninterrupted / "run" / "checkpoints" / "step_000000030.pt").stat().st_size
    disk = tmp_path / "disk"
    disk.mkdir()
    with mounted("-t", "tmpfs", "-o", f"size={8 * size}", "tmpfs", str(disk)):
        run = disk / "run"
        stopped = maae(*tiny_run_args(uninterrupted / "data", run), kill_at="step_000000020.pt")
        assert stopped.returncode == -signal.SIGKILL  # a run with its first checkpoint written
        for leftover in run.rglob("*.tmp"):
            leftover.unlink()
        fill(disk, leave=size // 2)
        full = maae(*tiny_run_args(uninterrupted / "data", run), via_workflow=True)
        assert full.returncode == 1
        lines = full.stderr.strip().splitlines()
        assert lines[-1].startswith("error: [Errno 28] No space left on device"), lines
        assert str(run / "checkpoints" / "step_000000020.pt") in lines[-1]
        assert len([line for line in lines if "error" in line.lower() or "Traceback" in line]) == 1, lines
        torch.load(run / "checkpoints" / "step_000000010.pt", weights_only=False)  # intact
        assert not list(run.rglob("*.tmp")), "the failed write's temporary file is removed"
        (disk / "filler").unlink()
        again = maae(*tiny_run_args(uninterrupted / "data", run), via_workflow=True)
        assert again.returncode == 0, again.stderr
        assert (run / "model.pt").read_bytes() == (uninterrupted / "run" / "model.pt").read_bytes()


def test_disk_full_while_writing_a_table(reference: dict, tmp_path: Path) -> None:
    """(c) The disk fills while a table is rewritten: the job stops with one line naming the table file;
    the table written before is intact."""
    results = reference["work"] / "results"
    disk = tmp_path / "disk"
    disk.mkdir()
    args = [sys.executable, str(RUN_MODULE), "-m", "maae.report.tables", "table2", "--results", str(results),
            "--out", str(disk / "table2"), "--datasets", "synthetic8", "--runs",
            str(results / "runs" / "synthetic8" / "runs.csv")]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with mounted("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)):
        first = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert first.returncode == 0, first.stderr
        before = (disk / "table2.csv").read_bytes()
        fill(disk)
        full = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert full.returncode == 1
        lines = full.stderr.strip().splitlines()
        assert len(lines) == 1 and "No space left on device" in lines[0], lines
        assert str(disk / "table2.csv") in lines[0]
        assert (disk / "table2.csv").read_bytes() == before
