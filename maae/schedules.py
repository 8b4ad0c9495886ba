"""The run's schedules as pure functions of the (1-based) iteration: lambda3, the loss scale, the
learning rates. Nothing here is state, so a resumed run, a packed run and the lock-step check all read
the same value for the same iteration, and the authors' numbering is one formula each.

lambda3 doubles before the mask update of iterations interval, 2 interval, ...; the AE and mask
updates shrink from iteration lr_drop_step (default 5R).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from maae.config import RunConfig


@dataclass(frozen=True)
class Schedule:
    """Iteration counts of the run's schedules, after scaling to its length."""

    lambda3_interval: int  # lambda3 doubles before the mask update of iterations k * interval
    lr_drop_step: int | None  # the first iteration whose AE and mask updates are shrunk; None: never
    checkpoint_every: int
    log_every: int


def authors_r(m: int) -> int:
    """The authors' schedule unit R: 75 if m <= 20 else min(10000, floor(112.5 m))."""
    return 75 if m <= 20 else min(10_000, int(112.5 * m))


def make_schedule(cfg: RunConfig) -> Schedule:
    """Resolve the config's schedule options (None: the authors' values) and scale them to the run."""
    tc = cfg.train
    scale = tc.steps / tc.schedule_reference_steps if tc.schedule_reference_steps else 1.0

    def scaled(value: int) -> int:
        return max(1, round(value * scale)) if value else 0

    r = authors_r(cfg.model.m)
    interval = scaled(tc.lambda3_interval if tc.lambda3_interval is not None else 4 * r)
    drop = None
    if tc.lr_drop != "none":
        drop = scaled(tc.lr_drop_step if tc.lr_drop_step is not None else 5 * r)
    return Schedule(interval, drop, scaled(tc.checkpoint_every), scaled(tc.log_every))


def lambda3_at(step: int, schedule: Schedule, initial: float, cap: float | None) -> float:
    """lambda3 in the mask update of iteration ``step``: initial * 2^floor(step / interval), capped."""
    doublings = step // schedule.lambda3_interval
    if doublings == 0:
        return initial
    value = initial * 2.0**doublings if doublings < 1000 else math.inf
    return value if cap is None else min(cap, value)


def dropped(step: int, schedule: Schedule) -> bool:
    """Whether iteration ``step`` runs after the drop of the AE and mask updates."""
    return schedule.lr_drop_step is not None and step >= schedule.lr_drop_step


def loss_scale_at(step: int, cfg: RunConfig, schedule: Schedule) -> float:
    """The factor on L_ae and L_mask at iteration ``step`` (the authors' drop: 1/5)."""
    if cfg.train.lr_drop == "loss_scale" and dropped(step, schedule):
        return 1.0 / cfg.train.lr_drop_factor
    return 1.0


def lr_at(step: int, base: float, cfg: RunConfig, schedule: Schedule) -> float:
    """The AE or mask learning rate at iteration ``step`` (``lr`` drop: divided by the factor)."""
    if cfg.train.lr_drop == "lr" and dropped(step, schedule):
        return base / cfg.train.lr_drop_factor
    return base
