"""The training loop: the run folder, determinism, kill-and-resume, NaN handling, WAE vs MAAE, schedules."""

from __future__ import annotations

import json
import logging
import math
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import D, M, assert_same_state, final_state, read_metrics, write_yaml

import maae.train
from maae.config import ConfigError, RunConfig, resolve
from maae.data import load_split
from maae.model import load_trained
from maae.sample import encode, sample
from maae.schedules import make_schedule
from maae.train import NonFiniteLossError, train

LOSS_COLUMNS = ["step", "loss_ae", "recon", "loss_dm", "omega", "loss_gen", "lambda3", "m_active"]


def checkpoints(run: Path) -> list[Path]:
    return sorted((run / "checkpoints").glob("step_*.pt"))


# ---------------------------------------------------------------- the run folder


def test_run_folder_contents(maae_run: Path, make_cfg) -> None:
    cfg = make_cfg()
    written = json.loads((maae_run / "config.json").read_text())
    assert written == resolve(cfg).to_dict()
    assert written["model"]["arch"] == "synthetic_mlp"
    assert written["model"]["recon"] == "mse"
    assert written["model"]["lambda3"] == 2 / M

    assert checkpoints(maae_run), "no checkpoint written"
    assert (maae_run / "model.pt").is_file()

    fields, rows = read_metrics(maae_run)
    assert set(LOSS_COLUMNS + ["loss_mask"]) <= set(fields)
    assert sorted(f for f in fields if f.startswith("mu_")) == [f"mu_{j}" for j in range(M)]
    assert [int(r["step"]) for r in rows] == [5, 10, 15, 20]

    summary = json.loads((maae_run / "summary.json").read_text())
    assert summary["steps"] == 20
    assert summary["train_seconds"] > 0
    assert summary["device"].startswith("cpu")
    assert "torch" in summary["versions"]
    assert summary["code_version"]
    assert len(summary["mu"]) == M
    assert summary["seed"] == 0
    assert summary["config"] == written
    assert summary["m_active"] == int(rows[-1]["m_active"])


def test_log_rows_include_the_last_step(make_cfg, tmp_path: Path) -> None:
    train(make_cfg(**{"train.steps": 12}), tmp_path)
    assert [int(r["step"]) for r in read_metrics(tmp_path)[1]] == [5, 10, 12]
    assert torch.load(checkpoints(tmp_path)[-1], weights_only=False)["step"] == 12


# ---------------------------------------------------------------- determinism


def test_same_seed_same_weights_other_seed_other_weights(maae_run: Path, make_cfg, tmp_path: Path) -> None:
    train(make_cfg(), tmp_path / "again")
    assert_same_state(final_state(maae_run), final_state(tmp_path / "again"))

    train(make_cfg(**{"train.seed": 1}), tmp_path / "other")
    other = final_state(tmp_path / "other")
    assert any(not torch.equal(v, other[k]) for k, v in final_state(maae_run).items())


# ---------------------------------------------------------------- kill and resume


def _metric_rows_without_time(run: Path) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if k != "train_seconds"} for r in read_metrics(run)[1]]


def _start_and_kill(cmd: list[str], out: Path, log: Path, timeout: float = 120.0) -> bool:
    """Start a training subprocess and SIGKILL it as soon as a checkpoint exists; True if killed mid-run."""
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + timeout
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                if checkpoints(out):
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.002)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    # A kill at the deadline, before any checkpoint, does not count as a kill mid-run.
    return proc.returncode == -signal.SIGKILL and bool(checkpoints(out)) and not (out / "model.pt").exists()


def test_resume_after_sigkill_matches_uninterrupted_run(make_cfg, tmp_path: Path) -> None:
    for steps in (600, 2400, 9600):
        cfg = make_cfg(**{"train.steps": steps, "train.checkpoint_every": 50, "train.log_every": 25})
        cfg_path = write_yaml(tmp_path / f"cfg{steps}.yaml", cfg)
        out = tmp_path / f"killed{steps}"
        cmd = [sys.executable, "-m", "maae", "train", "--config", str(cfg_path), "--out", str(out)]
        if _start_and_kill(cmd, out, tmp_path / f"first{steps}.log"):
            break
    else:
        pytest.fail("the training subprocess always finished (or never checkpointed) before the kill")
    assert checkpoints(out) and not (out / "model.pt").exists()

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "resuming" in again.stderr

    reference = tmp_path / "reference"
    train(cfg, reference)
    assert_same_state(final_state(reference), final_state(out))
    assert _metric_rows_without_time(out) == _metric_rows_without_time(reference)
    assert [int(r["step"]) for r in read_metrics(out)[1]] == list(range(25, steps + 1, 25))


def test_resume_from_older_checkpoint_matches(maae_run: Path, make_cfg, tmp_path: Path, caplog) -> None:
    run = tmp_path / "run"
    shutil.copytree(maae_run, run)
    (run / "model.pt").unlink()
    (run / "summary.json").unlink()
    ckpts = checkpoints(run)
    assert [torch.load(p, weights_only=False)["step"] for p in ckpts] == [10, 20]
    ckpts[-1].unlink()

    with caplog.at_level(logging.INFO, logger="maae.train"):
        summary = train(make_cfg(), run)
    assert any("from step 10" in r.getMessage() for r in caplog.records), "did not resume from step 10"
    assert summary["steps"] == 20
    assert_same_state(final_state(maae_run), final_state(run))
    assert _metric_rows_without_time(run) == _metric_rows_without_time(maae_run)
    assert [int(r["step"]) for r in read_metrics(run)[1]] == [5, 10, 15, 20]


# ---------------------------------------------------------------- non-finite losses


def test_nan_at_first_step_stops_without_model(make_cfg, tmp_path: Path) -> None:
    nan_data = torch.full((256, D), float("nan"))
    with pytest.raises(NonFiniteLossError, match=r"loss_ae.*between steps 0 and .*no checkpoint"):
        train(make_cfg(), tmp_path, train_data=nan_data)
    assert not checkpoints(tmp_path)
    assert not (tmp_path / "model.pt").exists()
    assert not (tmp_path / "summary.json").exists()


def test_nan_in_a_wae_names_only_its_own_losses(make_cfg, tmp_path: Path) -> None:
    nan_data = torch.full((256, D), float("nan"))
    with pytest.raises(NonFiniteLossError, match=r"non-finite loss_ae") as err:
        train(make_cfg(**{"model.kind": "wae"}), tmp_path, train_data=nan_data)
    assert "loss_mask" not in str(err.value)


def test_nan_after_checkpoint_keeps_last_good_one(make_cfg, tmp_path: Path, monkeypatch) -> None:
    real_ae_loss = maae.train.ae_loss
    calls = 0

    def ae_loss_going_bad(*args, **kwargs):
        nonlocal calls
        calls += 1
        loss, rec = real_ae_loss(*args, **kwargs)
        return (loss * float("nan"), rec) if calls > 25 else (loss, rec)

    monkeypatch.setattr(maae.train, "ae_loss", ae_loss_going_bad)
    with pytest.raises(NonFiniteLossError, match=r"loss_ae.*step 20") as info:
        train(make_cfg(**{"train.steps": 40}), tmp_path)
    assert "loss_ae" in str(info.value)
    assert calls > 25, "the patched loss was not used"
    assert not (tmp_path / "model.pt").exists()
    latest = checkpoints(tmp_path)[-1]
    state = torch.load(latest, weights_only=False)
    assert state["step"] == 20
    assert all(torch.isfinite(t).all() for t in state["model"].values())


def test_a_nan_gradient_behind_a_finite_loss_keeps_no_poisoned_checkpoint(
    make_cfg, tmp_path: Path, monkeypatch
) -> None:
    """Iteration 15's mask step gets a NaN gradient while its loss stays finite (each loss is taken before
    its own update, so no loss sees it): the weights are checked before the step-20 checkpoint, the run
    stops there, and the kept checkpoint is step 10's, finite."""
    real_mask_loss = maae.train.mask_loss
    calls = 0

    def mask_loss_with_nan_gradient(rec, omega, mu, *args):
        nonlocal calls
        calls += 1
        loss = real_mask_loss(rec, omega, mu, *args)
        return loss + torch.sqrt(mu * 0).sum() if calls == 15 else loss  # adds 0; d sqrt(0) is inf

    monkeypatch.setattr(maae.train, "mask_loss", mask_loss_with_nan_gradient)
    with pytest.raises(NonFiniteLossError, match=r"non-finite weights between steps 10 and 15"):
        train(make_cfg(**{"train.steps": 40}), tmp_path)
    assert calls >= 15, "the patched loss was not used"
    latest = torch.load(checkpoints(tmp_path)[-1], weights_only=False)
    assert latest["step"] == 10
    assert all(torch.isfinite(t).all() for t in latest["model"].values())


def test_a_metrics_row_cut_short_by_a_kill_is_dropped_on_resume(
    maae_run: Path, make_cfg, tmp_path: Path
) -> None:
    """Killed while writing step 15's row, after step 10's checkpoint: the cut row ("1" of "15,...") reads
    as step 1, inside the checkpoint; it is dropped, not kept as a row of empty values."""
    run = tmp_path / "run"
    shutil.copytree(maae_run, run)
    for done in ("model.pt", "summary.json"):
        (run / done).unlink()
    checkpoints(run)[-1].unlink()
    lines = (run / "metrics.csv").read_text().splitlines(keepends=True)
    (run / "metrics.csv").write_text("".join(lines[:3]) + lines[3][:1])  # header, steps 5 and 10, then "1"
    train(make_cfg(), run)
    assert [int(r["step"]) for r in read_metrics(run)[1]] == [5, 10, 15, 20]
    assert _metric_rows_without_time(run) == _metric_rows_without_time(maae_run)


@pytest.mark.filterwarnings("ignore:for .*copying from a non-meta parameter")
def test_a_checkpoint_resumes_onto_another_device(make_cfg, maae_run: Path, tmp_path: Path) -> None:
    """Checkpoints are read onto the CPU and copied into the state's own device: a generator's state must
    be a CPU tensor, so reading it onto a GPU made every resume there fail. The meta device stands in for
    a GPU on this CPU-only machine (no GPU is needed to show the failure)."""
    run = tmp_path / "run"
    shutil.copytree(maae_run, run)
    state, _ = maae.train.open_run(resolve(make_cfg()), run, torch.device("meta"))
    assert state.step == 20 and state.gen.get_state().device.type == "cpu"


# ---------------------------------------------------------------- WAE and MAAE


def test_wae_has_no_mask(make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg(**{"model.kind": "wae"})
    summary = train(cfg, tmp_path)
    _, model = load_trained(tmp_path)
    assert model.mask is None
    assert not any("theta" in name for name, _ in model.named_parameters())
    assert "mask" not in torch.load(checkpoints(tmp_path)[-1], weights_only=False)["optimisers"]
    assert "loss_mask" not in read_metrics(tmp_path)[0]
    assert summary["m_active"] == M
    assert summary["mu"] == [1.0] * M


def test_maae_trains_the_mask(maae_run: Path) -> None:
    _, model = load_trained(maae_run)
    assert "mask.theta" in dict(model.named_parameters())
    assert "mask" in torch.load(checkpoints(maae_run)[-1], weights_only=False)["optimisers"]
    summary = json.loads((maae_run / "summary.json").read_text())
    first, last = read_metrics(maae_run)[1][0], read_metrics(maae_run)[1][-1]
    assert any(first[f"mu_{j}"] != last[f"mu_{j}"] for j in range(M)), "the mask never moved"
    assert summary["mu"] == pytest.approx(model.mu().tolist(), abs=1e-6)


@pytest.mark.parametrize("param", ["authors", "paper"])
def test_mask_parametrisation(param: str, make_cfg, tmp_path: Path) -> None:
    # theta starts near 0 and a large binarising weight pushes mu to 0, overshooting below theta = 0.
    cfg = make_cfg(
        **{
            "model.m": 8,
            "model.mask_param": param,
            "model.theta_init_max": 0.05,
            "model.lambda3": 100.0,
            "model.active_threshold": 0.02,
            "train.lr_mask": 0.05,
        }
    )
    summary = train(cfg, tmp_path)
    _, model = load_trained(tmp_path)
    theta = model.mask.theta.detach()
    if param == "authors":
        assert (theta >= 0).all()
    else:  # the same run without the projection goes negative: the check above can fail
        assert (theta < 0).any()
    mu = torch.tensor(summary["mu"])
    assert summary["m_active"] == int((mu >= 0.02).sum()) == model.active_dimensions()


# ---------------------------------------------------------------- schedules


def test_default_schedule() -> None:
    s = make_schedule(RunConfig().replace(**{"model.m": 24}))
    assert s.lambda3_interval == 4 * 2700
    assert s.lr_drop_step == 5 * 2700 + 2  # the authors' drop follows their 0-based step 5R
    assert (s.checkpoint_every, s.log_every) == (5000, 500)


def test_scaled_schedule() -> None:
    cfg = RunConfig().replace(
        **{
            "model.m": 24,
            "train.steps": 20_000,
            "train.schedule_reference_steps": 500_000,
            "train.log_every": 10,
        }
    )
    s = make_schedule(cfg)
    assert s.lambda3_interval == round(4 * 2700 * 0.04)
    assert s.lr_drop_step == round(5 * 2700 * 0.04) + 2
    assert s.checkpoint_every == 200
    assert s.log_every == 1  # 0.4 rounds to 0, and intervals are at least 1
    explicit = make_schedule(cfg.replace(**{"train.lambda3_interval": 1000, "train.lr_drop_step": 3000}))
    assert (explicit.lambda3_interval, explicit.lr_drop_step) == (40, 120)


def test_no_lr_drop() -> None:
    assert make_schedule(RunConfig().replace(**{"train.lr_drop": "none"})).lr_drop_step is None


@pytest.mark.parametrize(("cap", "expected"), [(None, (2 / M) * 2**3), (2048.0, (2 / M) * 2**3), (3.0, 3.0)])
def test_lambda3_doubling(cap: float | None, expected: float, make_cfg, tmp_path: Path) -> None:
    cfg = make_cfg(**{"train.lambda3_interval": 5, "model.lambda3_cap": cap, "train.log_every": 1})
    train(cfg, tmp_path)
    rows = read_metrics(tmp_path)[1]
    assert [int(r["step"]) for r in rows] == list(range(1, 21))
    assert float(rows[-1]["lambda3"]) == pytest.approx(expected)
    # doubled at iterations 6, 11 and 16 (the authors' steps 5, 10, 15), each before that mask update
    logged = [float(r["lambda3"]) for r in rows]
    assert logged == pytest.approx(
        [min((2 / M) * 2 ** ((s - 1) // 5), cap or math.inf) for s in range(1, 21)]
    )


# ---------------------------------------------------------------- reusing a folder


def test_reused_folder_with_other_config_is_refused(maae_run: Path, make_cfg, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(maae_run, run)
    with pytest.raises(ConfigError, match=r"^model\.gamma:"):
        train(make_cfg(**{"model.gamma": 5.0}), run)
    with pytest.raises(ConfigError, match=r"^train\.steps:"):
        train(make_cfg(**{"train.steps": 40}), run)
    summary = train(make_cfg(**{"train.threads": 2, "train.progress": "log"}), run)
    assert summary["steps"] == 20
    assert_same_state(final_state(maae_run), final_state(run))


def test_a_folder_from_before_an_option_existed_reads_as_its_default(
    maae_run: Path, make_cfg, tmp_path: Path
) -> None:
    """A run made before train.tf32 existed (no such key in its config.json) is the run with tf32 off;
    asking for tf32 on is another run."""
    run = tmp_path / "run"
    shutil.copytree(maae_run, run)
    written = json.loads((run / "config.json").read_text())
    del written["train"]["tf32"], written["train"]["deterministic"]
    (run / "config.json").write_text(json.dumps(written))
    assert train(make_cfg(), run)["steps"] == 20
    with pytest.raises(ConfigError, match=r"^train\.tf32: .* holds a run with False, this config says True"):
        train(make_cfg(**{"train.tf32": True}), run)


def test_a_folder_from_before_an_option_reads_as_what_it_did_then(tmp_path: Path) -> None:
    """model.init came with the authors' initialisation as its default (2026-12-01); a dense1024 run made
    before it has no such key and was initialised the old way, xavier: it is that run, not the authors'."""
    from maae.run_folder import folder_conflict

    mnist = {"data.name": "mnist", "model.m": 8}
    written = resolve(RunConfig().replace(**mnist, **{"model.init": "xavier"})).to_dict()
    del written["model"]["init"]
    (tmp_path / "config.json").write_text(json.dumps(written))
    assert folder_conflict(tmp_path, RunConfig().replace(**mnist, **{"model.init": "xavier"})) is None
    said = folder_conflict(tmp_path, RunConfig().replace(**mnist))
    assert said is not None and "model.init: " in said and "holds a run with 'xavier'" in said


def test_closed_form_penalty_trains_as_autograds(maae_run: Path, make_cfg, tmp_path: Path) -> None:
    """model.gp_gradient: closed_form ends 20 iterations where the double backward does, to rounding."""
    train(make_cfg(**{"model.gp_gradient": "closed_form"}), tmp_path)
    mine, theirs = final_state(tmp_path), final_state(maae_run)
    for key, value in theirs.items():
        torch.testing.assert_close(mine[key], value, rtol=1e-4, atol=1e-6)


def test_deterministic_algorithms_change_nothing_on_the_cpu(maae_run: Path, make_cfg, tmp_path: Path) -> None:
    try:
        train(make_cfg(**{"train.deterministic": True}), tmp_path)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)  # a process-wide switch: leave the others as they were
    assert_same_state(final_state(maae_run), final_state(tmp_path))


# ---------------------------------------------------------------- using a trained model


def test_load_sample_encode(maae_run: Path, make_cfg) -> None:
    cfg, model = load_trained(maae_run)
    assert cfg == resolve(make_cfg())
    assert_same_state(model.state_dict(), final_state(maae_run))

    x = sample(model, 7, torch.Generator().manual_seed(3), batch_size=4)
    assert x.shape == (7, D) and torch.isfinite(x).all()
    assert torch.equal(x, sample(model, 7, torch.Generator().manual_seed(3), batch_size=4))
    assert not torch.equal(x, sample(model, 7, torch.Generator().manual_seed(4), batch_size=4))

    codes = encode(model, load_split(cfg.data, "test"), batch_size=50)
    assert codes.shape == (128, M) and torch.isfinite(codes).all()
    assert not math.isnan(float(codes.std()))
