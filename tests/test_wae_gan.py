"""WAE-GAN (Tolstikhin et al.): its two losses by hand, what its adversary sees, its iteration, resume."""

from __future__ import annotations

import logging
import math
import shutil
from pathlib import Path

import pytest
import torch
from conftest import M, assert_same_state, final_state, read_metrics
from torch import nn

from maae import losses
from maae.config import resolve
from maae.data import data_shape, load_split
from maae.optim import Adam
from maae.train import TrainingState, iteration, train


class Constant(nn.Module):
    """An adversary whose logit is a fixed linear function of its input: a x_0 + c."""

    def __init__(self, a: float, c: float) -> None:
        super().__init__()
        self.a, self.c = a, c

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (self.a * z[:, :1] + self.c).reshape(-1, 1)


def test_gan_losses_by_hand() -> None:
    """Logits 0 and log 3 for the prior, 0 and -log 3 for the codes: D = 1/2, 3/4 and 1/2, 1/4."""
    adversary = Constant(1.0, 0.0)
    z = torch.tensor([[0.0], [math.log(3)]])
    z_hat = torch.tensor([[0.0], [-math.log(3)]])
    loss, divergence = losses.gan_adversary_loss(adversary, z, z_hat, gan_lambda=10.0)
    ce_prior = -(math.log(1 / 2) + math.log(3 / 4)) / 2  # label 1
    ce_code = -(math.log(1 / 2) + math.log(3 / 4)) / 2  # label 0: log(1 - D) = log(1/2), log(3/4)
    assert loss.item() == pytest.approx(10 * (ce_prior + ce_code), rel=1e-6)
    assert divergence.item() == pytest.approx(math.log(4) - ce_prior - ce_code, rel=1e-6)
    # the encoder's non-saturating penalty: -mean log D(z_hat) = -(log 1/2 + log 1/4) / 2
    penalty = losses.gan_penalty(adversary, z_hat)
    assert penalty.item() == pytest.approx(-(math.log(1 / 2) + math.log(1 / 4)) / 2, rel=1e-6)
    # an adversary that cannot tell them apart: divergence 0
    _, none = losses.gan_adversary_loss(Constant(0.0, 0.0), z, z_hat, gan_lambda=1.0)
    assert none.item() == pytest.approx(0.0, abs=1e-7)


def test_adam_as_tensorflow_computes_it() -> None:
    p = nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = Adam([p], lr=0.1, beta1=0.5, beta2=0.999, eps=1e-8)
    g = torch.tensor([0.5, -4.0])
    opt.step([g])  # t = 1: m = 0.5 g, v = 0.001 g^2, lr_t = 0.1 sqrt(0.001) / 0.5
    lr_t = 0.1 * math.sqrt(1 - 0.999) / (1 - 0.5)
    expected = torch.tensor([1.0, -2.0]) - lr_t * (0.5 * g) / ((0.001 * g * g).sqrt() + 1e-8)
    assert torch.allclose(p.detach(), expected, rtol=1e-6)
    state = opt.state_dict()
    again = Adam([nn.Parameter(p.detach().clone())], lr=0.1, beta1=0.5, beta2=0.999, eps=1e-8)
    again.load_state_dict(state)
    assert again.t == 1 and torch.equal(again.m[0], opt.m[0])


def test_the_adversary_sees_codes_and_prior_draws_only(make_cfg) -> None:
    cfg = resolve(make_cfg(**{"model.kind": "wae_gan", "train.critic_steps": None}))  # the kind's 1
    state = TrainingState(cfg, data_shape(cfg.data), torch.device("cpu"))
    data = load_split(cfg.data, "train")
    inputs = state.draw(data)
    assert inputs.x.shape[0] == 1  # one batch: the adversary takes the AE step's
    seen: list[torch.Tensor] = []
    state.model.critic.register_forward_pre_hook(lambda _, args: seen.append(args[0].detach().clone()))
    codes_before = state.model.encoder(inputs.x[0]).detach()
    losses_seen: list[str] = []
    out = iteration(state, inputs, lambda kind, loss: losses_seen.append(kind))
    assert losses_seen == ["ae", "critic"]  # no generator step, no mask step
    assert set(out) == {"loss_ae", "recon", "loss_dm", "omega"}
    codes_after = state.model.encoder(inputs.x[0]).detach()  # re-encoded after the AE update
    prior = inputs.prior[0]
    # the AE step's penalty saw the codes before its update; the adversary the prior, then the new codes
    assert torch.equal(seen[0], codes_before)
    assert torch.equal(seen[1], torch.cat([prior, codes_after]))
    assert len(seen) == 2 and not torch.equal(codes_before, codes_after)


def test_wae_gan_trains_and_resumes_bit_identically(make_cfg, tmp_path: Path, caplog) -> None:
    cfg = make_cfg(**{"model.kind": "wae_gan"})
    reference = tmp_path / "reference"
    summary = train(cfg, reference)
    assert summary["model"] == "wae_gan" and summary["m_active"] == M
    assert summary["config"]["train"]["optimiser"] == "adam"
    fields, rows = read_metrics(reference)
    assert "loss_gen" not in fields and "loss_mask" not in fields and "loss_dm" in fields
    assert all(math.isfinite(float(r["loss_dm"])) for r in rows)

    run = tmp_path / "run"
    shutil.copytree(reference, run)
    (run / "model.pt").unlink()
    (run / "summary.json").unlink()
    sorted((run / "checkpoints").glob("step_*.pt"))[-1].unlink()  # as if killed after step 10
    with caplog.at_level(logging.INFO, logger="maae.train"):
        train(cfg, run)
    assert any("from step 10" in r.getMessage() for r in caplog.records)
    assert_same_state(final_state(reference), final_state(run))
