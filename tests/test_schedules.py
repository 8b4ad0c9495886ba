"""The schedules as pure functions of the iteration, against the authors' loop and its numbering."""

from __future__ import annotations

import math

import pytest

from maae.config import RunConfig, resolve
from maae.schedules import authors_r, dropped, lambda3_at, loss_scale_at, lr_factor_at, make_schedule


def authors_sequence(m: int, steps: int, mask: bool = True) -> tuple[list[float], list[float]]:
    """What MaskAAE_MNIST.py feeds per iteration, simulated: its 0-based ``step``; before the mask
    update, lambda3 doubles (capped at 2048) when step % 4R == 0 and step > 0; after the whole step,
    when step == 5R, the AE and mask loss factors are divided by 5. R = 0 with the mask off."""
    r = (75 if m <= 20 else min(10_000, math.floor(1125 * m / 10))) if mask else 0
    lam, factor = 2 / m, 1.0
    lambdas, factors = [], []
    for step in range(steps):
        factors.append(factor)  # the AE step comes first, with the factor as it stands
        if mask and step % (4 * r) == 0 and step > 0:
            lam = min(2048, lam * 2)
        lambdas.append(lam)
        if step == 5 * r:
            factor /= 5
    return lambdas, factors


@pytest.mark.parametrize("m", [16, 24])
def test_lambda3_and_loss_scale_follow_the_authors_iteration_by_iteration(m: int) -> None:
    cfg = resolve(RunConfig().replace(**{"model.m": m}))
    schedule = make_schedule(cfg)
    steps = 70_000 if m > 20 else 6_000  # past several doublings, the drop and (m = 16) the cap
    lambdas, factors = authors_sequence(m, steps)
    ours = [lambda3_at(i, schedule, 2 / m, cfg.model.lambda3_cap) for i in range(1, steps + 1)]
    assert ours == lambdas
    assert [loss_scale_at(i, cfg, schedule) for i in range(1, steps + 1)] == pytest.approx(factors)
    if m == 16:
        assert ours[-1] == 2048  # the cap was reached
        assert (lambdas.index(2 * 2 / m) + 1, factors.index(0.2) + 1) == (301, 377)


def test_the_wae_drops_from_iteration_two() -> None:
    cfg = resolve(RunConfig().replace(**{"model.m": 16, "model.kind": "wae"}))
    schedule = make_schedule(cfg)
    _, factors = authors_sequence(16, 10, mask=False)
    assert factors == [1.0] + [0.2] * 9
    assert [loss_scale_at(i, cfg, schedule) for i in range(1, 11)] == pytest.approx(factors)
    assert schedule.lr_drop_step == 2


def test_explicit_drop_step_and_lr_mode() -> None:
    cfg = resolve(
        RunConfig().replace(**{"train.lr_drop": "lr", "train.lr_drop_step": 375, "model.kind": "wae"})
    )
    schedule = make_schedule(cfg)
    assert [dropped(i, schedule) for i in (374, 375)] == [False, True]
    assert lr_factor_at(374, cfg, schedule, "ae") == 1.0
    assert lr_factor_at(375, cfg, schedule, "ae") == pytest.approx(0.2)
    assert lr_factor_at(375, cfg, schedule, "critic") == 1.0
    assert loss_scale_at(375, cfg, schedule) == 1.0  # lr mode leaves the loss alone


def test_uncapped_lambda3_does_not_overflow() -> None:
    schedule = make_schedule(RunConfig().replace(**{"train.lambda3_interval": 1}))
    assert lambda3_at(1, schedule, 0.5, None) == 0.5
    assert lambda3_at(3, schedule, 0.5, None) == 2.0
    assert lambda3_at(5000, schedule, 0.5, None) == math.inf
    assert lambda3_at(5000, schedule, 0.5, 2048.0) == 2048.0
    assert lambda3_at(1, schedule, 4096.0, 2048.0) == 4096.0  # the authors cap at each doubling only


def test_authors_r() -> None:
    assert [authors_r(m) for m in (16, 20, 24, 100)] == [75, 75, 2700, 10_000]


def test_wae_gan_milestones() -> None:
    """Tolstikhin et al.: AE and adversary rates halved after 30% of the run, 5x lower again after 50%."""
    cfg = resolve(RunConfig().replace(**{"model.kind": "wae_gan", "train.steps": 100}))
    assert (cfg.train.lr_drop, cfg.train.optimiser) == ("milestones", "adam")
    schedule = make_schedule(cfg)
    factors = [lr_factor_at(i, cfg, schedule, "ae") for i in (1, 30, 31, 50, 51, 100)]
    assert factors == pytest.approx([1, 1, 0.5, 0.5, 0.1, 0.1])
    assert lr_factor_at(51, cfg, schedule, "critic") == pytest.approx(0.1)
    assert loss_scale_at(51, cfg, schedule) == 1.0 and schedule.lr_drop_step is None
