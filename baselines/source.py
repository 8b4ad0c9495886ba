"""Where a search's runs come from: a finished grid (replay) or the trainer (live), behind one interface."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

LOWER_IS_BETTER = ("fid", "fd_lenet", "fd_raw")  # the primary scores a search may minimise


class BaselineError(ValueError):
    """A problem the user can fix (bad range, unknown data set or seed): one ``error:`` line, exit 2."""


class DatasetUnavailable(Exception):
    """The scale lists the data set but it could not run (its data are missing): the outputs say why."""

    def __init__(self, reason: str, scale: str):
        super().__init__(reason)
        self.scale = scale


class MissingRun(LookupError):
    """The run a search or the MAAE reference needs does not exist; the message says why."""


@dataclass(frozen=True)
class Run:
    """The fields of one runs.csv row that the comparison reports, with what produced them."""

    model: str
    m: int
    seed: int
    score: float
    train_seconds: float
    m_active: int | None
    steps: int
    n_generated: int | None
    n_real: int | None
    device: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Run:
        """From a runs.csv row, or maae.report.aggregate.run_row of a run folder (same fields)."""

        def count(value: Any) -> int | None:
            return None if value is None or (isinstance(value, float) and math.isnan(value)) else int(value)

        return cls(
            model=str(row["model"]),
            m=int(row["m"]),
            seed=int(row["seed"]),
            score=float(row["score"]) if row["score"] is not None else math.nan,
            train_seconds=float(row["train_seconds"]),
            m_active=count(row["m_active"]),
            steps=int(row["steps"]),
            n_generated=count(row["n_generated"]),
            n_real=count(row["n_real"]),
            device=str(row["device"]),
        )


class Source(Protocol):
    """One data set's runs at one scale; ``run`` raises MissingRun when a run cannot be had."""

    mode: str  # replay or live
    scale: str
    dataset: str
    metric: str  # the primary score, one of LOWER_IS_BETTER

    def run(self, model: str, m: int, seed: int) -> Run: ...
