"""The run's schedules as pure functions of the (1-based) iteration: lambda3, the loss scale, the
learning rates. Nothing here is state, so a resumed run, a packed run and the lock-step check all read
the same value for the same iteration, and the authors' numbering is one formula each.

The authors' loop counts ``step`` from 0; iteration i here is their step i - 1. They double lambda3
"if step % 4R == 0 and step > 0" before the mask update, i.e. from iterations 4R + 1, 8R + 1, ...,
and divide the AE and mask losses by 5 after the whole of step 5R, i.e. from iteration 5R + 2. With
the mask off they set R = 0, so the WAE's drop applies from iteration 2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from maae.config import RunConfig, resolve
from maae.kinds import kind

# Iteration i is the authors' step i - 1; a drop "after step s" applies from iteration s + 2.
_DROP_OFFSET = 2
# Tolstikhin et al.'s MNIST schedule: both learning rates halved after epoch 30 of 100, and divided by 5
# more after epoch 50 (tolstikhin/wae, wae.py lr_schedule "manual"), as fractions of the run.
MILESTONES = ((0.3, 0.5), (0.5, 0.2))


@dataclass(frozen=True)
class Schedule:
    """Iteration counts of the run's schedules, after scaling to its length."""

    lambda3_interval: int  # lambda3 doubles before the mask update of iterations k * interval + 1
    lr_drop_step: int | None  # the first iteration whose AE and mask updates are shrunk; None: never
    checkpoint_every: int
    log_every: int


def authors_r(m: int) -> int:
    """The authors' schedule unit R: 75 if m <= 20 else min(10000, floor(112.5 m))."""
    return 75 if m <= 20 else min(10_000, int(112.5 * m))


def make_schedule(cfg: RunConfig) -> Schedule:
    """Resolve the config's schedule options (None: the authors' values) and scale them to the run."""
    cfg = resolve(cfg)
    tc = cfg.train
    scale = tc.steps / tc.schedule_reference_steps if tc.schedule_reference_steps else 1.0

    def scaled(value: int) -> int:
        return max(1, round(value * scale)) if value else 0

    r = authors_r(cfg.model.m)
    interval = scaled(tc.lambda3_interval if tc.lambda3_interval is not None else 4 * r)
    drop = None
    if tc.lr_drop in ("loss_scale", "lr"):
        if tc.lr_drop_step is not None:
            drop = scaled(tc.lr_drop_step)
        else:  # the authors' drop follows step 5R, with R = 0 when the mask is off
            drop = scaled(5 * r if kind(cfg.model.kind).mask else 0) + _DROP_OFFSET
    return Schedule(interval, drop, scaled(tc.checkpoint_every), scaled(tc.log_every))


def lambda3_at(step: int, schedule: Schedule, initial: float, cap: float | None) -> float:
    """lambda3 in the mask update of iteration ``step``: initial * 2^floor((step - 1) / interval),
    capped (the cap taken at each doubling, as the authors do)."""
    doublings = max(0, step - 1) // schedule.lambda3_interval
    if doublings == 0:
        return initial
    value = initial * 2.0**doublings if doublings < 1000 else math.inf
    return value if cap is None else min(cap, value)


def dropped(step: int, schedule: Schedule) -> bool:
    """Whether iteration ``step`` runs after the drop of the AE and mask updates."""
    return schedule.lr_drop_step is not None and step >= schedule.lr_drop_step


def loss_scale_at(step: int, cfg: RunConfig, schedule: Schedule) -> float:
    """The factor on L_ae and L_mask at iteration ``step`` (the authors' drop: 1/5 after 5R)."""
    if cfg.train.lr_drop == "loss_scale" and dropped(step, schedule):
        return 1.0 / cfg.train.lr_drop_factor
    return 1.0


def lr_factor_at(step: int, cfg: RunConfig, schedule: Schedule, optimiser: str) -> float:
    """The factor on an optimiser's (ae, critic, gen, mask) base learning rate at iteration ``step``:
    ``lr`` divides the AE and mask rates after the drop; ``milestones`` (WAE-GAN) halves the AE and
    adversary rates after 30% of the run and divides them by 5 more after 50%."""
    tc = cfg.train
    if tc.lr_drop == "lr" and optimiser in ("ae", "mask") and dropped(step, schedule):
        return 1.0 / tc.lr_drop_factor
    if tc.lr_drop == "milestones" and optimiser in ("ae", "critic"):
        factor = 1.0
        for fraction, multiplier in MILESTONES:
            if step > fraction * tc.steps:
                factor *= multiplier
        return factor
    return 1.0
