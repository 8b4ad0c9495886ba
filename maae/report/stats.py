"""Intervals over seeds, verdicts against a pre-registered region, and the settled-mask gate.

Every claim is about a quantity computed per seed (m_A - n in one run, the paired difference of two models'
scores at the same m and seed, the location of the WAE's minimum over one seed's runs). Runs that share a
seed share its data draw and initialisation, so they are not independent: the seed is the resampling unit.
``seed_bootstrap`` resamples whole seeds, so one seed's runs across m stay together, and returns an Interval
that records how it was made. ``decide`` turns an interval into pass, fail or inconclusive against the
claim's tolerance region; ``seeds_to_decide`` says how many seeds would likely settle an inconclusive one.
``stable_since`` and ``settled`` gate claims about the final mask to runs whose m_A stopped moving.
``proportion`` is the interval of a fraction of runs (a study's share of runs that find n), exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

BOOTSTRAP_METHOD = "percentile bootstrap over seeds (scipy.stats.bootstrap)"
ONE_SEED = "one seed: no interval"
ONE_PER_GROUP = "one seed in each group of equal coverage: no interval"


@dataclass(frozen=True)
class Interval:
    """A statistic over seeds with its confidence interval; ``low``/``high`` are None when there is none.

    ``method`` and ``resamples`` travel with the numbers so a report can say how each interval was made.
    """

    estimate: float
    low: float | None
    high: float | None
    seeds: int
    confidence: float
    method: str
    resamples: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: Python floats and ints, None for a missing bound or a NaN."""
        return {
            "estimate": _plain_float(self.estimate),
            "low": _plain_float(self.low),
            "high": _plain_float(self.high),
            "seeds": int(self.seeds),
            "confidence": float(self.confidence),
            "method": self.method,
            "resamples": int(self.resamples),
        }


def _plain_float(value: float | None) -> float | None:
    if value is None or math.isnan(value):
        return None
    return float(value)


def mean(values: Sequence[float]) -> float:
    """The default statistic: the plain mean of the per-seed values."""
    return float(np.mean(values))


def seed_bootstrap(
    per_seed: Mapping[int, Any] | pd.Series,
    statistic: Callable[[list[Any]], float] = mean,
    *,
    confidence: float = 0.95,
    resamples: int = 9999,
    random_state: int = 0,
    strata: Mapping[int, Hashable] | None = None,
) -> Interval:
    """A ``confidence`` interval for ``statistic`` by resampling whole seeds.

    ``per_seed`` maps a seed to one item: a float, or any object (e.g. that seed's runs across m as a
    DataFrame). ``statistic`` receives a list of items, one per drawn seed (a seed may be drawn more than
    once), and reduces them together, e.g. to the location of the minimum of their mean curve. The
    bootstrap runs scipy.stats.bootstrap on seed indices, so any per-seed object works and a seed's runs are
    never split; the random state is fixed so a report reproduces exactly.

    The percentile method is used, not BCa: with the 2-10 seeds the suite has, BCa's bias correction and
    acceleration are estimated from those same few seeds (a jackknife of n values) and swing widely, and
    they are undefined (scipy returns NaN) when the bootstrap distribution is degenerate or discrete, as it
    is for equal seeds or for an argmin location taking a few grid values. Percentile is defined in all
    those cases. Its cost: with few seeds a percentile interval is somewhat too narrow (it undercovers),
    which is one more reason every Interval carries its seed count and the reports show it.

    One seed has no spread to resample, so its interval is missing (low = high = None, method ONE_SEED,
    no resamples) rather than a dishonest zero-width one; ``decide`` calls it inconclusive.

    ``strata`` maps each seed to a group (e.g. the m values it was trained at, where ``more_seeds`` cover
    part of a grid): seeds are then resampled within their group, each group keeping its size, so every
    draw has as many seeds at each m as the data. Without it, a draw of only the seeds trained at one m has
    nothing at the others, and a statistic over m (the location of a minimum) lands on that m for no
    reason but the draw. scipy.stats.bootstrap resamples several samples apart but not one of size 1, so
    the stratified draws are made here, with the same percentile rule (numpy's linear percentile). A group
    of one seed is that seed in every draw, so it adds no spread (the method says how many such groups were
    held fixed); when every group has one seed there is no spread at all, and no interval (ONE_PER_GROUP).
    """
    if isinstance(per_seed, pd.Series) and not per_seed.index.is_unique:
        raise ValueError("per_seed has a seed more than once: reduce each seed's runs to one item first")
    by_seed = dict(per_seed.items())
    if not by_seed:
        raise ValueError("per_seed is empty: an interval needs at least one seed")
    items = [by_seed[seed] for seed in sorted(by_seed)]
    estimate = float(statistic(items))
    if len(items) == 1:
        return Interval(estimate, None, None, 1, confidence, ONE_SEED, 0)
    groups: dict[Hashable, list[int]] = {}
    for i, seed in enumerate(sorted(by_seed)):
        groups.setdefault(strata[seed] if strata is not None else None, []).append(i)
    if len(groups) > 1:
        drawn_within = list(groups.values())
        if all(len(group) == 1 for group in drawn_within):
            return Interval(estimate, None, None, len(items), confidence, ONE_PER_GROUP, 0)
        return _stratified(items, statistic, drawn_within, estimate, confidence, resamples, random_state)
    if statistic is mean:  # the common case, vectorised: no Python call per resample
        data, stat, vectorized = np.asarray(items, dtype=float), np.mean, True
    else:
        data, vectorized = np.arange(len(items)), False

        def stat(drawn: np.ndarray) -> float:
            return statistic([items[int(i)] for i in drawn])

    result = scipy_stats.bootstrap(
        (data,),
        stat,
        n_resamples=resamples,
        vectorized=vectorized,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(random_state),
    )
    ci = result.confidence_interval
    low, high = float(ci.low), float(ci.high)
    return Interval(estimate, low, high, len(items), confidence, BOOTSTRAP_METHOD, resamples)


def lowest_mean_at(curves: list[np.ndarray], grid: Sequence[float]) -> float:
    """The grid value where the mean of ``curves`` (one per drawn seed, NaN where a seed was not trained)
    is lowest, each point averaged over the curves that have it: the location of a minimum over seeds."""
    stacked = np.asarray(curves)
    counts = np.sum(~np.isnan(stacked), axis=0)
    means = np.where(counts > 0, np.nansum(stacked, axis=0) / np.maximum(counts, 1), np.inf)
    return float(grid[int(np.argmin(means))])


def _stratified(
    items: list[Any],
    statistic: Callable[[list[Any]], float],
    groups: list[list[int]],
    estimate: float,
    confidence: float,
    resamples: int,
    random_state: int,
) -> Interval:
    """seed_bootstrap's percentile interval with seeds drawn within their groups (see ``strata`` there)."""
    rng = np.random.default_rng(random_state)
    values = [
        statistic([items[int(i)] for group in groups for i in rng.choice(group, size=len(group))])
        for _ in range(resamples)
    ]
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    method = f"percentile bootstrap over seeds, within {len(groups)} groups of seeds of equal coverage"
    fixed = sum(len(group) == 1 for group in groups)
    if fixed:
        method += f" ({fixed} of one seed, held fixed)"
    return Interval(estimate, float(low), float(high), len(items), confidence, method, resamples)


def _check_region(low: float | None, high: float | None) -> None:
    """A region open on both sides would pass anything, so it is taken as a missing tolerance, not a rule."""
    if low is None and high is None:
        raise ValueError("a tolerance region needs at least one bound")
    if low is not None and high is not None and low > high:
        raise ValueError(f"tolerance region [{low}, {high}] is empty")


def decide(interval: Interval, low: float | None = None, high: float | None = None) -> str:
    """pass, fail or inconclusive for the closed tolerance region [low, high] (None: that side is open).

    pass: the whole interval lies inside the region; fail: it lies wholly outside; inconclusive: it
    straddles a boundary, or there is no interval (one seed), since noise then cannot be told from effect.
    """
    _check_region(low, high)
    if interval.low is None or interval.high is None:
        return "inconclusive"
    if (low is None or interval.low >= low) and (high is None or interval.high <= high):
        return "pass"
    if (low is not None and interval.high < low) or (high is not None and interval.low > high):
        return "fail"
    return "inconclusive"


def seeds_to_decide(interval: Interval, low: float | None, high: float | None, cap: int = 100) -> int | None:
    """For an inconclusive verdict, the number of seeds that would likely decide it; None otherwise.

    Estimated from the observed spread, assuming each half of the interval shrinks as 1/sqrt(seeds): for a
    boundary at distance d from the estimate with the half-width h facing it, k seeds clear it once
    h * sqrt(n / k) < d. The boundaries that matter are those the interval crosses when the estimate lies
    inside the region (all must clear for a pass), and the one on the estimate's side when it lies outside
    (clearing it gives a fail). Halves are taken separately because percentile intervals are asymmetric.

    None when the verdict is already pass or fail, when there is no interval (one seed: no spread to scale),
    when the estimate sits on a boundary (no finite count), when the interval crosses no boundary it could
    clear (an estimate inside the region with an interval that only touches a boundary from outside, as
    an argmin's may: nothing to scale), or when more than ``cap`` seeds would be needed; the caller reports
    these as "more than cap, or none".
    """
    if decide(interval, low, high) != "inconclusive" or interval.low is None or interval.high is None:
        return None
    x, n = interval.estimate, interval.seeds
    inside = (low is None or x >= low) and (high is None or x <= high)
    if inside:
        crossed = [b for b in (low, high) if b is not None and interval.low < b < interval.high]
    else:
        crossed = [low if low is not None and x < low else high]
    if not crossed:
        return None
    needed = n + 1
    for bound in crossed:
        distance = abs(x - bound)
        if distance == 0:
            return None
        half = max(interval.high - x if bound > x else x - interval.low, 0.0)
        needed = max(needed, math.floor(n * (half / distance) ** 2) + 1)
    return needed if needed <= cap else None


def stable_since(steps: Sequence[int], values: Sequence[float]) -> int | None:
    """The first logged step from which ``values`` (e.g. m_A) stayed at their final value; None for an
    empty log. A fact of the run, with no threshold: claims decide what "settled" means (``settled``)."""
    if len(steps) != len(values):
        raise ValueError(f"{len(steps)} steps but {len(values)} values")
    if not len(steps):
        return None
    since = steps[-1]
    for step, value in zip(reversed(steps), reversed(values), strict=True):
        if value != values[-1]:
            break
        since = step
    return int(since)


def final_change(steps: Sequence[int], values: Sequence[float], final_fraction: float) -> float | None:
    """How much a logged quantity (the training reconstruction loss) still moved over the final
    ``final_fraction`` of training: the mean over that window's second half divided by the mean over its
    first, minus 1. Batch losses are noisy, hence halves' means rather than end points. None with no value
    logged in either half. A fact of the run: no claim is decided on it."""
    if len(steps) != len(values):
        raise ValueError(f"{len(steps)} steps but {len(values)} values")
    if not len(steps):
        return None
    end = steps[-1]
    start = (1 - final_fraction) * end
    middle = (start + end) / 2
    early = [v for s, v in zip(steps, values, strict=True) if start < s <= middle]
    late = [v for s, v in zip(steps, values, strict=True) if middle < s]
    if not early or not late or not sum(early):
        return None
    return float(sum(late) / len(late) / (sum(early) / len(early)) - 1)


def settled(since: float | None, steps: int, final_fraction: float) -> bool:
    """Whether a run's m_A stayed unchanged over the final ``final_fraction`` of its ``steps``: a claim about
    the final mask uses the run only then, since otherwise its m_A is not final. Unknown (None or NaN, no
    training log) is not settled."""
    if not 0 < final_fraction <= 1:
        raise ValueError(f"final_fraction must lie in (0, 1], not {final_fraction}")
    if since is None or math.isnan(since):
        return False
    return since <= (1 - final_fraction) * steps


def settled_runs(runs: pd.DataFrame, final_fraction: float) -> pd.Series:
    """``settled`` for every row of a runs table (its m_active_since and steps), as a boolean Series on the
    table's index; a table without m_active_since has no training log to tell, so none settled."""
    since = runs["m_active_since"] if "m_active_since" in runs else pd.Series(math.nan, index=runs.index)
    flags = [settled(s, steps, final_fraction) for s, steps in zip(since, runs["steps"], strict=True)]
    return pd.Series(flags, index=runs.index, dtype=bool)


PROPORTION_METHOD = "Clopper-Pearson exact interval (scipy.stats.binomtest)"


def proportion(successes: int, runs: int, confidence: float = 0.95) -> Interval:
    """The fraction of ``runs`` that succeeded, with its exact binomial interval. Each run (a seed at one
    setting and n) is one independent Bernoulli draw, so no resampling is needed: the exact interval is
    defined for the few runs a study has, where a bootstrap of three 0/1 values collapses to a point."""
    if not 0 <= successes <= runs or runs < 1:
        raise ValueError(f"{successes} successes of {runs} runs")
    ci = scipy_stats.binomtest(successes, runs).proportion_ci(confidence_level=confidence, method="exact")
    return Interval(successes / runs, float(ci.low), float(ci.high), runs, confidence, PROPORTION_METHOD, 0)


def runs_to_decide(share: Interval, threshold: float, cap: int = 200) -> int | None:
    """Runs at the observed share that would put its exact interval wholly on one side of ``threshold``;
    None when it already is, when the share equals the threshold, or beyond ``cap``."""
    if share.low is None or share.high is None or share.high < threshold or share.low >= threshold:
        return None
    if share.estimate == threshold:
        return None
    for runs in range(share.seeds + 1, cap + 1):
        iv = proportion(round(share.estimate * runs), runs, share.confidence)
        if iv.high < threshold or iv.low >= threshold:
            return runs
    return None


def settings(reference: Mapping[str, Any]) -> dict[str, Any]:
    """seed_bootstrap's keyword arguments as pre-registered in paper_reference.yaml (``statistics:``)."""
    s = reference["statistics"]
    return {"confidence": s["confidence"], "resamples": s["resamples"], "random_state": s["random_state"]}


def over_seeds(frame: pd.DataFrame, column: str, **bootstrap: Any) -> Interval | None:
    """The mean of ``column`` over seeds with its interval; a seed with several runs (several m) counts once,
    by its mean, so the seed stays the unit. None when no run has the column."""
    data = frame.dropna(subset=[column])
    if data.empty:
        return None
    return seed_bootstrap(data.groupby("seed")[column].mean(), **bootstrap)


def per_m(frame: pd.DataFrame, column: str, **bootstrap: Any) -> pd.DataFrame:
    """At each m (sorted): mean over seeds with its interval (low, high; NaN for one seed), the seed count,
    and the per-seed values (sorted by seed): what every table, figure and claim shows per m."""
    data = frame.dropna(subset=[column]).sort_values(["m", "seed"])
    rows = {}
    for m, at_m in data.groupby("m"):
        iv = over_seeds(at_m, column, **bootstrap)
        rows[int(m)] = {
            "mean": iv.estimate,
            "low": math.nan if iv.low is None else iv.low,
            "high": math.nan if iv.high is None else iv.high,
            "seeds": iv.seeds,
            "values": at_m[column].tolist(),
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "low", "high", "seeds", "values"])
    table.index = table.index.astype(int)
    table.index.name = "m"
    return table
