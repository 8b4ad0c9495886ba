"""``maae.report.stats`` on fabricated per-seed data: intervals, verdicts, seeds to decide, the mask gate."""

from __future__ import annotations

import json
import math
from functools import partial

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from maae.report import fmt
from maae.report.stats import (
    BOOTSTRAP_METHOD,
    ONE_PER_GROUP,
    ONE_SEED,
    Interval,
    decide,
    final_change,
    lowest_mean_at,
    seed_bootstrap,
    seeds_to_decide,
    settled,
    stable_since,
)

RESAMPLES = 2000


def interval(estimate: float, low: float | None, high: float | None, seeds: int = 5) -> Interval:
    return Interval(estimate, low, high, seeds, 0.95, BOOTSTRAP_METHOD, RESAMPLES)


@pytest.mark.parametrize(
    ("bounds", "region", "verdict"),
    [
        ((0.9, 1.1), (0.5, 1.5), "pass"),
        ((0.5, 1.5), (0.5, 1.5), "pass"),  # the region is closed
        ((1.6, 1.9), (0.5, 1.5), "fail"),
        ((0.1, 0.4), (0.5, 1.5), "fail"),
        ((1.2, 1.8), (0.5, 1.5), "inconclusive"),
        ((0.0, 2.0), (0.5, 1.5), "inconclusive"),
        ((0.9, 1.1), (None, 1.5), "pass"),
        ((1.6, 1.9), (None, 1.5), "fail"),
        ((1.2, 1.8), (None, 1.5), "inconclusive"),
        ((0.9, 1.1), (0.5, None), "pass"),
        ((0.1, 0.4), (0.5, None), "fail"),
        ((0.4, 0.6), (0.5, None), "inconclusive"),
    ],
)
def test_decide(bounds: tuple[float, float], region: tuple[float | None, float | None], verdict: str) -> None:
    low, high = bounds
    assert decide(interval((low + high) / 2, low, high), *region) == verdict


def test_decide_without_interval_is_inconclusive() -> None:
    one = Interval(1.0, None, None, 1, 0.95, ONE_SEED, 0)
    assert decide(one, 0.0, 2.0) == "inconclusive"
    assert seeds_to_decide(one, 0.0, 2.0) is None


def test_decide_rejects_a_region_without_bounds() -> None:
    with pytest.raises(ValueError, match="at least one bound"):
        decide(interval(1.0, 0.9, 1.1))
    with pytest.raises(ValueError, match="empty"):
        decide(interval(1.0, 0.9, 1.1), 2.0, 1.0)


def test_seed_bootstrap_is_deterministic_and_contains_the_estimate() -> None:
    per_seed = {0: 1.0, 1: 1.4, 2: 0.7, 3: 1.1, 4: 0.9}
    first = seed_bootstrap(per_seed, resamples=RESAMPLES, random_state=3)
    assert first == seed_bootstrap(per_seed, resamples=RESAMPLES, random_state=3)
    assert first != seed_bootstrap(per_seed, resamples=RESAMPLES, random_state=4)
    assert first.estimate == pytest.approx(np.mean(list(per_seed.values())))
    assert first.low < first.estimate < first.high
    assert (first.seeds, first.resamples, first.confidence) == (5, RESAMPLES, 0.95)
    assert first.method == BOOTSTRAP_METHOD
    # A Series keyed by seed gives the same interval as the mapping (seeds are sorted either way).
    series = pd.Series(per_seed).sample(frac=1.0, random_state=0)
    assert seed_bootstrap(series, resamples=RESAMPLES, random_state=3) == first
    assert json.loads(json.dumps(first.to_dict())) == first.to_dict()


def test_seed_bootstrap_degenerate_and_one_seed() -> None:
    equal = seed_bootstrap({0: 0.5, 1: 0.5, 2: 0.5}, resamples=RESAMPLES)
    assert (equal.low, equal.estimate, equal.high) == (0.5, 0.5, 0.5)
    assert decide(equal, 0.0, 1.0) == "pass"
    one = seed_bootstrap({7: 0.5}, resamples=RESAMPLES)
    assert (one.low, one.high, one.seeds, one.resamples, one.method) == (None, None, 1, 0, ONE_SEED)
    assert one.to_dict()["low"] is None
    assert decide(one, 0.0, 1.0) == "inconclusive"
    with pytest.raises(ValueError, match="more than once"):
        seed_bootstrap(pd.Series([1.0, 2.0], index=[0, 0]))
    with pytest.raises(ValueError, match="empty"):
        seed_bootstrap({})


def test_to_dict_has_no_nan() -> None:
    assert interval(math.nan, 0.0, 1.0).to_dict()["estimate"] is None


def _runs(seeds: int, grid: list[int], value) -> dict[int, pd.DataFrame]:
    """Per seed, that seed's runs across m as a DataFrame (columns m, score)."""
    return {s: pd.DataFrame({"m": grid, "score": [value(s, m) for m in grid]}) for s in range(seeds)}


def _mean_score(items: list[pd.DataFrame]) -> float:
    return float(np.concatenate([d["score"].to_numpy() for d in items]).mean())


def test_the_seed_is_the_resampling_unit() -> None:
    """A seed effect shared by all of a seed's runs makes runs dependent: resampling them as if independent
    gives a far narrower interval than resampling seeds, which this module does."""
    rng = np.random.default_rng(1)
    offset = rng.normal(0.0, 1.0, size=6)
    noise = rng.normal(0.0, 0.01, size=(6, 10))
    grid = list(range(4, 24, 2))
    runs = _runs(6, grid, lambda s, m: offset[s] + noise[s, grid.index(m)])

    by_seed = seed_bootstrap(runs, _mean_score, resamples=RESAMPLES)
    flat = np.concatenate([d["score"].to_numpy() for d in runs.values()])
    naive = scipy_stats.bootstrap(
        (flat,), np.mean, n_resamples=RESAMPLES, method="percentile", rng=np.random.default_rng(0)
    ).confidence_interval

    assert by_seed.estimate == pytest.approx(flat.mean())
    assert by_seed.seeds == 6
    assert by_seed.high - by_seed.low > 2 * (naive.high - naive.low)


def test_statistic_on_per_seed_runs_locates_a_minimum() -> None:
    """The location of the minimum of the mean curve over drawn seeds; most seeds have it at m = 10."""
    rng = np.random.default_rng(2)
    grid = [4, 6, 8, 10, 12, 14, 16]
    centre = {s: 12 if s == 4 else 10 for s in range(6)}
    runs = _runs(6, grid, lambda s, m: 0.1 * (m - centre[s]) ** 2 + s + rng.normal(0.0, 0.05))

    def argmin_m(items: list[pd.DataFrame]) -> float:
        curve = np.mean([d["score"].to_numpy() for d in items], axis=0)
        return float(grid[int(np.argmin(curve))])

    located = seed_bootstrap(runs, argmin_m, resamples=RESAMPLES)
    assert located.estimate == 10
    assert located.low <= 10 <= located.high
    assert decide(located, 8, 12) == "pass"


def test_seeds_trained_at_part_of_the_grid_are_resampled_within_their_group() -> None:
    """Seeds 0-1 trained at every m (minimum at 10), seeds 2-4 only at m = 16 (more_seeds): a plain draw of
    only seeds 2-4 sees nothing but m = 16 and puts the minimum there; drawn within their groups, no draw
    lacks an m, and the interval stays at the real minimum."""
    grid = [4, 10, 16]
    per_seed = {0: np.array([5.0, 1.0, 3.0]), 1: np.array([5.2, 1.1, 3.1])}
    per_seed |= {s: np.array([np.nan, np.nan, 3.0 + 0.1 * s]) for s in (2, 3, 4)}
    coverage = {seed: tuple(~np.isnan(c)) for seed, c in per_seed.items()}
    lowest = partial(lowest_mean_at, grid=grid)
    plain = seed_bootstrap(per_seed, lowest, resamples=RESAMPLES)
    within = seed_bootstrap(per_seed, lowest, resamples=RESAMPLES, strata=coverage)
    assert plain.estimate == within.estimate == 10
    assert plain.high == 16  # the artefact: draws of seeds 2-4 alone
    assert (within.low, within.high) == (10, 10)
    assert within.seeds == 5 and within.resamples == RESAMPLES and "2 groups" in within.method
    assert seed_bootstrap(per_seed, lowest, resamples=RESAMPLES, strata=coverage) == within  # reproducible


def test_one_group_of_strata_is_the_plain_bootstrap() -> None:
    values = {0: 1.0, 1: 2.0, 2: 4.0, 3: 3.5}
    assert seed_bootstrap(values, resamples=RESAMPLES, strata=dict.fromkeys(values, "all")) == seed_bootstrap(
        values, resamples=RESAMPLES
    )


def test_a_group_of_one_seed_keeps_that_seed_in_every_draw() -> None:
    """A stratum of one seed (scipy cannot resample it) is that seed in every draw; the others vary."""
    values = {0: 0.0, 1: 1.0, 2: 100.0}
    within = seed_bootstrap(values, resamples=RESAMPLES, strata={0: "a", 1: "a", 2: "b"})
    assert within.low == pytest.approx(100 / 3) and within.high == pytest.approx(102 / 3)
    assert "(1 of one seed, held fixed)" in within.method


def test_groups_of_one_seed_each_give_no_interval() -> None:
    """Every seed alone in its group: every draw is the data itself, a zero-width interval that would pass
    or fail on no spread at all. There is none, and the verdict is inconclusive."""
    grid = [4, 8, 12]
    per_seed = {
        0: np.array([3.0, 1.0, 2.0]),
        1: np.array([3.0, 1.5, np.nan]),
        2: np.array([np.nan, np.nan, 2.0]),
    }
    coverage = {seed: tuple(~np.isnan(c)) for seed, c in per_seed.items()}
    located = seed_bootstrap(
        per_seed, partial(lowest_mean_at, grid=grid), resamples=RESAMPLES, strata=coverage
    )
    assert located.estimate == 8 and located.low is None and located.high is None and located.resamples == 0
    assert located.method == ONE_PER_GROUP and located.seeds == 3
    assert decide(located, 6, 10) == "inconclusive" and seeds_to_decide(located, 6, 10) is None
    assert fmt.interval(located) == f"3 seeds, {ONE_PER_GROUP}"


def test_seeds_to_decide() -> None:
    # Dyadic numbers throughout, so the arithmetic below is exact.
    wide = interval(1.0, 0.5, 1.5, seeds=5)
    assert decide(wide, None, 1.25) == "inconclusive"
    needed = seeds_to_decide(wide, None, 1.25)
    assert needed == 21  # the smallest k with 0.5 * sqrt(5 / k) < 0.25
    narrow = seeds_to_decide(interval(1.0, 0.75, 1.375, seeds=5), None, 1.25)
    assert narrow == 12 and 5 < narrow < needed
    # Only the side facing the boundary counts: a long low tail does not add seeds for an upper bound.
    assert seeds_to_decide(interval(1.0, -1.0, 1.375, seeds=5), None, 1.25) == narrow
    # Estimate inside, both boundaries crossed: the harder one decides.
    assert seeds_to_decide(wide, 0.875, 1.25) == 81
    # Estimate outside the region: clearing the near boundary gives a fail.
    assert seeds_to_decide(interval(1.5, 1.0, 2.0, seeds=5), None, 1.25) == 21
    # Already decided, on a boundary, or beyond the cap: None.
    assert seeds_to_decide(wide, None, 2.0) is None
    assert seeds_to_decide(wide, None, 1.0) is None
    assert seeds_to_decide(wide, None, 1.03125) is None
    assert seeds_to_decide(wide, None, 1.03125, cap=10_000) == 1281
    # An estimate inside the region whose interval only touches a boundary from outside (an argmin's can):
    # no boundary is crossed, so there is nothing to scale, and no count.
    touching = interval(1.0, -1.0, 0.0, seeds=3)
    assert decide(touching, 0.0, None) == "inconclusive" and seeds_to_decide(touching, 0.0, None) is None


def test_final_change_compares_the_halves_of_the_final_window() -> None:
    steps = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]
    # final quarter (6000, 8000]: halves (6000, 7000] = [4] and (7000, 8000] = [3]
    assert final_change(steps, [9, 8, 7, 6, 5, 5, 4, 3], 0.25) == pytest.approx(3 / 4 - 1)
    # final half (4000, 8000]: [5, 5] then [4, 3]; a level loss changes by 0
    assert final_change(steps, [9, 8, 7, 6, 5, 5, 4, 3], 0.5) == pytest.approx(3.5 / 5 - 1)
    assert final_change(steps, [2.0] * 8, 0.25) == 0
    assert final_change([8000], [3.0], 0.25) is None  # one logged value: no halves
    assert final_change([], [], 0.25) is None
    with pytest.raises(ValueError, match="values"):
        final_change(steps, [1.0], 0.25)


def test_stable_since_and_settled() -> None:
    steps = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]
    assert stable_since(steps, [30, 20, 14, 13, 13, 13, 13, 13]) == 4000
    assert stable_since(steps, [30, 20, 14, 13, 13, 13, 12, 12]) == 7000
    assert stable_since(steps, [16] * 8) == 1000  # a WAE: m_A = m throughout
    assert stable_since([], []) is None
    assert settled(4000, 8000, 0.25)
    assert not settled(7000, 8000, 0.25)  # changed at 7000, inside the final quarter [6000, 8000]
    assert settled(6000, 8000, 0.25)  # changed at the window's first row: unchanged over the window
    assert not settled(6000, 8000, 0.4)
    assert not settled(None, 8000, 0.25) and not settled(float("nan"), 8000, 0.25)
    with pytest.raises(ValueError, match="final_fraction"):
        settled(4000, 8000, 0.0)
    with pytest.raises(ValueError, match="values"):
        stable_since(steps, [13])
