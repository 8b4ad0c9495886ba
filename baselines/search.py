"""The naive searches of supplement §8 as pure algorithms over ``func(m)`` (lower is better).

Each search gets a :class:`Log` that wraps ``func`` and records every call, so that the number of
evaluations (calls) and of distinct points (models a search needs trained) can be counted for any
``func``, expensive or not. Points are integers in ``[lo, hi]``: m itself in live mode, an index into
the grid's sorted m values in replay mode.

Supplement Algorithm 1 ("Pseudo code for ternary search"), as printed (the PDF text of this block is
not scrambled; read in shared/paper/maskaae-paper.txt)::

    1: function FINDMIN(low, high, tol, func)
    2:   while high - low >= tol do
    3:     mid1 <- floor((2 x high + low) / 3)
    4:     mid2 <- ceil((high + 2 x low) / 3)
    5:     if func(mid1) < func(mid2) then
    6:       high <- mid1
    7:     else
    8:       low <- mid2
    9:     end if
    10:  end while
    11:  return high
    12: end function

Checked against unimodal functions (tests/test_baselines_search.py), the printed loop is not a
minimum search: mid1 is the *upper* probe and mid2 the *lower* one, so "func(mid1) < func(mid2) =>
high <- mid1" throws away the side with the smaller value. While high - low >= 3 it homes in on the
maximum; at width 2 the probes coincide (the comparison is vacuous and low is dropped unseen); at width 1
mid1 = low and mid2 = high, so the last step alone compares the right way. On func(m) = (m - 10)^2 over
[2, 100] it returns 99. (Its answer is evaluated by that last step, except on a one-point range, where
the loop never runs.) Swapping the two branches is not enough: the width-1 step would then go the wrong
way and the width-2 step would still drop low unseen. The printed loop is kept as :func:`ternary_printed`
for the record; :func:`ternary` is a correct integer ternary search (see its docstring for how it differs).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

Func = Callable[[int], float]


@dataclass
class Log:
    """``func`` with every call recorded as (point, value), in order."""

    func: Func
    calls: list[tuple[int, float]] = field(default_factory=list)

    def __call__(self, m: int) -> float:
        value = self.func(m)
        self.calls.append((m, value))
        return value


def _key(value: float) -> float:
    """A missing or non-finite score ranks last, so a failed run is never chosen over a scored one."""
    return value if value is not None and math.isfinite(value) else math.inf


def _check_range(lo: int, hi: int) -> None:
    if lo > hi:
        raise ValueError(f"empty range [{lo}, {hi}]")


def linear(lo: int, hi: int, func: Func) -> int:
    """Evaluate every point; the best one (ties: the smallest m, the cheaper model)."""
    _check_range(lo, hi)
    return min(range(lo, hi + 1), key=lambda m: (_key(func(m)), m))


def ternary(lo: int, hi: int, func: Func) -> int:
    """Integer ternary search for the minimum, each point evaluated at most once.

    Exact when func is unimodal with strict slopes on both sides of its minimum (a flat bottom is
    fine: then it returns a point of the bottom). Probes m1 < m2 at the thirds; func(m1) <= func(m2)
    means m2 lies past the minimum, so [m2, hi] goes, otherwise [lo, m1] goes. Once three or fewer
    points are left they are all evaluated. Ties go to the smaller m. Against the printed loop: the
    comparison keeps the smaller value's side, the probes never coincide, no m is evaluated twice, and the
    answer is the best point evaluated rather than ``high``.
    """
    _check_range(lo, hi)
    seen: dict[int, float] = {}

    def f(m: int) -> float:
        if m not in seen:
            seen[m] = _key(func(m))
        return seen[m]

    while hi - lo > 2:
        third = (hi - lo) // 3
        m1, m2 = lo + third, hi - third
        if f(m1) <= f(m2):
            hi = m2 - 1
        else:
            lo = m1 + 1
    return min(range(lo, hi + 1), key=lambda m: (f(m), m))


def ternary_printed(lo: int, hi: int, func: Func, tol: int = 1) -> int:
    """Supplement Algorithm 1 exactly as printed (see the module docstring: it is not a minimum search).

    Two calls per iteration, no memory of earlier calls; tol = 1 as in §8 (tol < 1 would loop forever
    once low = high).
    """
    _check_range(lo, hi)
    if tol < 1:
        raise ValueError(f"tol must be at least 1, got {tol}")
    low, high = lo, hi
    while high - low >= tol:
        mid1 = (2 * high + low) // 3
        mid2 = -(-(high + 2 * low) // 3)
        if _key(func(mid1)) < _key(func(mid2)):
            high = mid1
        else:
            low = mid2
    return high


SEARCHES: dict[str, Callable[[int, int, Func], int]] = {
    "linear": linear,
    "ternary": ternary,
    "ternary_printed": ternary_printed,
}


@dataclass(frozen=True)
class Result:
    chosen: int
    calls: tuple[tuple[int, float], ...]

    @property
    def evaluations(self) -> int:
        return len(self.calls)

    @property
    def points(self) -> list[int]:
        """Distinct points evaluated (the models the search needs), in first-call order."""
        return list(dict.fromkeys(m for m, _ in self.calls))


def search(method: str, lo: int, hi: int, func: Func) -> Result:
    """Run one search with its log. A chosen point the search never evaluated (ternary_printed on a
    one-point range) is evaluated once: its score cannot be known, nor its model used, untrained."""
    log = Log(func)
    chosen = SEARCHES[method](lo, hi, log)
    if all(m != chosen for m, _ in log.calls):
        log(chosen)
    return Result(chosen, tuple(log.calls))
