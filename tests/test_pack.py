"""Packed training: each member of a pack ends where its solo run ends (to float rounding), whatever the
mix of m, model and options; padded dimensions stay exactly inert; a killed pack resumes; a NaN stops
only its own member."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from conftest import read_metrics, write_yaml

import maae.train
from maae.config import ConfigError, RunConfig, resolve
from maae.data import data_shape, load_split
from maae.pack import PackedState, pack_conflict, train_pack
from maae.train import NonFiniteLossError, TrainingState, iteration, train

RTOL = 1e-5  # batched matmuls sum in another order than solo ones: equal to rounding, not bit for bit
# omega (and L_gen, a mean critic output) can sit near 0 as a difference of terms of size ~0.1: their
# precision is relative to those terms, so logged values are compared relative to at least this
FLOOR = 0.1
LOSSES = ("loss_ae", "recon", "loss_dm", "omega", "loss_gen", "loss_mask", "m_active")

# m, model and per-member options mixed: four runs of one synthetic data set
MIXED = [
    {"model.m": 4, "train.seed": 0},
    {"model.m": 6, "train.seed": 1, "model.lambda1": 30.0},
    {"model.m": 3, "train.seed": 2, "model.kind": "wae", "train.lr_drop_step": 3},  # its own schedule
    {"model.m": 5, "train.seed": 3, "train.lr_mask": 5e-3, "train.lr_ae": 2e-4},
]


def relative_gap(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert sorted(a) == sorted(b)
    return max(float((a[k] - b[k]).abs().max() / a[k].abs().max().clamp_min(1e-12)) for k in a)


def weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "model.pt", weights_only=False)["model"]


def assert_member_matches_solo(member: Path, solo: Path) -> None:
    assert relative_gap(weights(solo), weights(member)) < RTOL
    solo_fields, solo_rows = read_metrics(solo)
    fields, rows = read_metrics(member)
    assert fields == solo_fields, "a member's metrics.csv has other columns than its solo run's"
    assert [r["step"] for r in rows] == [r["step"] for r in solo_rows]
    for mine, theirs in zip(rows, solo_rows, strict=True):
        for key in LOSSES:
            if key in theirs:
                a, b = float(theirs[key]), float(mine[key])
                assert abs(a - b) <= RTOL * max(abs(a), FLOOR), (member, mine["step"], key, a, b)
    solo_summary = json.loads((solo / "summary.json").read_text())
    summary = json.loads((member / "summary.json").read_text())
    assert summary["config"] == solo_summary["config"]
    assert summary["schedule"] == solo_summary["schedule"], "a member's summary records another's schedule"
    assert summary["m_active"] == solo_summary["m_active"]
    assert summary["pack_members"] >= 1 and "pack_members" not in solo_summary


@pytest.fixture(scope="module")
def mixed(make_cfg, tmp_path_factory) -> tuple[list[RunConfig], Path]:
    """The MIXED pack and each member's solo run, trained 20 iterations."""
    out = tmp_path_factory.mktemp("mixed")
    cfgs = [make_cfg(**m) for m in MIXED]
    for i, cfg in enumerate(cfgs):
        train(cfg, out / f"solo{i}")
    train_pack(cfgs, [out / f"member{i}" for i in range(len(cfgs))])
    return cfgs, out


def test_each_member_of_a_mixed_pack_ends_as_its_solo_run(mixed) -> None:
    cfgs, out = mixed
    for i in range(len(cfgs)):
        assert_member_matches_solo(out / f"member{i}", out / f"solo{i}")
    assert not (out / "member2" / "failure.json").exists()
    assert "mu_3" not in read_metrics(out / "member2")[0][0], "a WAE member logged a mask"


def test_wae_gan_pack_matches_solo(make_cfg, tmp_path: Path) -> None:
    cfgs = [make_cfg(**{"model.kind": "wae_gan", "model.m": m, "train.seed": s}) for m, s in ((4, 0), (6, 1))]
    for i, cfg in enumerate(cfgs):
        train(cfg, tmp_path / f"solo{i}")
    train_pack(cfgs, [tmp_path / f"member{i}" for i in range(2)])
    for i in range(2):
        assert_member_matches_solo(tmp_path / f"member{i}", tmp_path / f"solo{i}")


def test_dense1024_pack_on_images_matches_solo(make_cfg, tmp_path: Path) -> None:
    """The MNIST network (uint8 images, sigmoid decoder, the authors' clipped BCE), at a small width."""
    images = torch.randint(
        0, 256, (64, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    mnist = {"data.name": "mnist", "model.arch": "dense1024", "model.width": 16, "model.recon": "auto"}
    cfgs = [make_cfg(**mnist, **{"model.m": m, "train.seed": m, "train.steps": 10}) for m in (3, 5)]
    for i, cfg in enumerate(cfgs):
        train(cfg, tmp_path / f"solo{i}", train_data=images)
    train_pack(cfgs, [tmp_path / f"member{i}" for i in range(2)], train_data=images)
    for i in range(2):
        assert_member_matches_solo(tmp_path / f"member{i}", tmp_path / f"solo{i}")


def test_padded_dimensions_stay_exactly_inert(make_cfg) -> None:
    """A member with m = 2 in a pack of m = 5: its padded codes, weights, theta and optimiser slots
    beyond m stay exactly as packed (zero), and it counts only its own dimensions."""
    cfgs = [make_cfg(**{"model.m": 2}), make_cfg(**{"model.m": 5, "train.seed": 1})]
    data = load_split(cfgs[0].data, "train")
    states = [TrainingState(resolve(c), data_shape(c.data), torch.device("cpu")) for c in cfgs]
    pack = PackedState(states)
    for _ in range(12):
        out = iteration(pack, pack.draw(data))
    params = dict(pack.model.named_parameters())
    assert torch.all(params["mask.theta"][0, 2:] == 0)
    assert torch.all(params["encoder.3.weight"][0, 2:] == 0) and torch.all(
        params["encoder.3.bias"][0, 2:] == 0
    )
    assert torch.all(params["decoder.0.weight"][0, :, 2:] == 0)
    assert torch.all(params["critic.0.weight"][0, :, 2:] == 0)
    assert torch.any(params["critic.0.weight"][1, :, 2:] != 0), "the m = 5 member's own columns must train"
    with torch.no_grad():
        codes = pack.model.encoder(pack.draw(data).x[0])
    assert torch.all(codes[0, :, 2:] == 0)
    assert out["loss_mask"].shape == (2,)
    members = pack.members()
    assert [m.model.mu().shape[0] for m in members] == [2, 5]
    assert members[0].model.active_dimensions() <= 2


def test_killed_pack_resumes_to_the_uninterrupted_result(mixed, tmp_path: Path) -> None:
    """Members cut back to different checkpoints (a pack killed while writing them) resume as two packs
    and end as the pack that never stopped."""
    cfgs, out = mixed
    runs = []
    for i in range(len(cfgs)):
        run = tmp_path / f"member{i}"
        shutil.copytree(out / f"member{i}", run)
        (run / "model.pt").unlink()
        (run / "summary.json").unlink()
        if i % 2:  # these lose their newest checkpoint: back to step 10
            sorted((run / "checkpoints").glob("step_*.pt"))[-1].unlink()
        runs.append(run)
    summaries = train_pack(cfgs, runs)
    assert [s["steps"] for s in summaries] == [20] * len(cfgs)
    for i, run in enumerate(runs):
        gap = relative_gap(weights(out / f"member{i}"), weights(run))
        # the members at step 20 only finish; the others train on in a pack of two, not four, whose
        # batched matmuls may round otherwise on another CPU (here they happen to agree bit for bit)
        assert gap == 0.0 if i % 2 == 0 else gap < RTOL, (i, gap)
        assert [int(r["step"]) for r in read_metrics(run)[1]] == [5, 10, 15, 20]


def test_pack_command_line(make_cfg, tmp_path: Path) -> None:
    """`python -m maae train-pack`: one --member folder per run, each followed by its own --set options."""
    cfg = make_cfg(**{"train.steps": 10})
    config = write_yaml(tmp_path / "cfg.yaml", cfg)
    cmd = [sys.executable, "-m", "maae", "train-pack", "--config", str(config)]
    for m, seed in ((3, 0), (4, 1)):
        cmd += ["--member", str(tmp_path / f"m{m}"), "--set", f"model.m={m}", "--set", f"train.seed={seed}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "m4" / "summary.json").read_text())["m"] == 4
    assert json.loads((tmp_path / "m3" / "summary.json").read_text())["seed"] == 0
    train(cfg.replace(**{"model.m": 4, "train.seed": 1}), tmp_path / "solo")
    assert relative_gap(weights(tmp_path / "solo"), weights(tmp_path / "m4")) < RTOL


def nan_in_member(member: int, members: int, after: int = 13) -> tuple[Callable[..., Any], list[int]]:
    """maae.train.ae_loss with one member's L_ae NaN after ``after`` calls (13: between steps 10 and 15 of
    the tiny runs), in a pack of ``members``; and its call count, to show it was used."""
    real, calls = maae.train.ae_loss, [0]

    def ae_loss(*args: Any, **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        calls[0] += 1
        loss, rec = real(*args, **kwargs)
        if loss.shape == (members,) and calls[0] > after:
            loss = loss * torch.tensor([float("nan") if i == member else 1.0 for i in range(members)])
        return loss, rec

    return ae_loss, calls


def test_nan_in_one_member_stops_only_that_member(make_cfg, tmp_path: Path, monkeypatch) -> None:
    """Member 1's L_ae turns NaN after step 10: it keeps its step-10 checkpoint and says why in
    failure.json; the others finish as their solo runs, then the pack reports the failure."""
    cfgs = [make_cfg(**{"model.m": 3 + i, "train.seed": i}) for i in range(3)]
    real_ae_loss = maae.train.ae_loss
    patched, calls = nan_in_member(1, 3)
    monkeypatch.setattr(maae.train, "ae_loss", patched)
    runs = [tmp_path / f"member{i}" for i in range(3)]
    with pytest.raises(NonFiniteLossError, match=r"member1: non-finite loss_ae.* between steps 10 and 15"):
        train_pack(cfgs, runs)
    assert calls[0] > 13, "the patched loss was not used"
    assert not (runs[1] / "model.pt").exists() and not (runs[1] / "summary.json").exists()
    assert "loss_ae" in json.loads((runs[1] / "failure.json").read_text())["error"]
    kept = torch.load(sorted((runs[1] / "checkpoints").glob("step_*.pt"))[-1], weights_only=False)
    assert kept["step"] == 10
    assert all(torch.isfinite(t).all() for t in kept["model"].values())
    monkeypatch.setattr(maae.train, "ae_loss", real_ae_loss)
    for i in (0, 2):
        train(cfgs[i], tmp_path / f"solo{i}")
        assert_member_matches_solo(runs[i], tmp_path / f"solo{i}")


def test_a_mixed_pack_goes_on_when_its_only_mask_member_stops(make_cfg, tmp_path: Path, monkeypatch) -> None:
    """MAAE (member 0) beside a WAE with its own learning-rate drop: MAAE's L_ae turns NaN after step 10, so
    the pack left has no mask step and no L_mask; the WAE finishes as its solo run, schedule included."""
    cfgs = [make_cfg(**{"train.seed": 0}), make_cfg(**{"model.m": 3, "train.seed": 1, **WAE_DROP})]
    real_ae_loss = maae.train.ae_loss
    monkeypatch.setattr(maae.train, "ae_loss", nan_in_member(0, 2)[0])
    runs = [tmp_path / "maae", tmp_path / "wae"]
    with pytest.raises(NonFiniteLossError, match=r"maae: non-finite loss_ae"):
        train_pack(cfgs, runs)
    assert (runs[1] / "summary.json").exists() and not (runs[0] / "summary.json").exists()
    monkeypatch.setattr(maae.train, "ae_loss", real_ae_loss)
    train(cfgs[1], tmp_path / "solo")
    assert_member_matches_solo(runs[1], tmp_path / "solo")


WAE_DROP = {"model.kind": "wae", "train.lr_drop_step": 3}  # another schedule than the pack's MAAE


def test_one_folder_for_two_members_is_refused(make_cfg, tmp_path: Path) -> None:
    """It trained both into one folder: a second header in metrics.csv and every row twice."""
    cfgs = [make_cfg(**{"train.seed": 0}), make_cfg(**{"train.seed": 1})]
    with pytest.raises(ConfigError, match="given as the folder of more than one member"):
        train_pack(cfgs, [tmp_path / "a", tmp_path / "." / "a"])
    assert not (tmp_path / "a").exists()


CONV = {"model.arch": "conv28", "data.name": "mnist", "model.width": None}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (CONV, r"model.arch 'conv28' is not packed"),
        ({"train.batch_size": 32}, r"train.batch_size differs within a pack \(16 and 32\)"),
        ({"model.kind": "wae_gan"}, r"mixes adversaries"),
        ({"train.log_every": 4}, r"log and checkpoint at different steps"),
    ],
)
def test_runs_that_cannot_share_a_pack_are_refused(make_cfg, tmp_path: Path, change, message) -> None:
    first = make_cfg(**(CONV if change is CONV else {}))
    other = make_cfg(**change)
    assert pack_conflict([first, other]) is not None
    with pytest.raises(ConfigError, match=message):
        train_pack([first, other], [tmp_path / "a", tmp_path / "b"])
    assert not (tmp_path / "a").exists(), "a refused pack must not claim folders"
