"""The §8 searches on known functions: unimodal, noisy, plateau, endpoint minima, evaluation counts, and
supplement Algorithm 1 as printed (which is not a minimum search)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

from baselines.search import SEARCHES, Log, linear, search, ternary, ternary_printed

CORRECT = ("linear", "ternary")
Func = Callable[[int], float]


def argmins(func: Func, lo: int, hi: int) -> set[int]:
    values = {m: func(m) for m in range(lo, hi + 1)}
    best = min(values.values())
    return {m for m, v in values.items() if v == best}


def unimodal_family(p: int) -> list[Func]:
    """Strictly unimodal functions with their minimum at p: symmetric, skewed, and steep on one side."""
    return [
        lambda m: (m - p) ** 2,
        lambda m: abs(m - p),
        lambda m: 5.0 * (p - m) if m < p else 0.1 * (m - p),
        lambda m: math.exp(p - m) if m < p else (m - p) ** 3,
    ]


@pytest.mark.parametrize("method", CORRECT)
def test_unimodal_minimum_is_found_on_every_small_range(method: str) -> None:
    for lo in range(0, 4):
        for hi in range(lo, 22):
            for p in range(lo, hi + 1):
                for func in unimodal_family(p):
                    assert search(method, lo, hi, func).chosen == p, (lo, hi, p)


@pytest.mark.parametrize("method", CORRECT)
@pytest.mark.parametrize("p", [2, 3, 10, 13, 50, 99, 100])
def test_unimodal_minimum_on_the_papers_range(method: str, p: int) -> None:
    assert search(method, 2, 100, lambda m: (m - p) ** 2).chosen == p


@pytest.mark.parametrize("method", CORRECT)
def test_endpoint_minima(method: str) -> None:
    assert search(method, 2, 100, lambda m: m).chosen == 2
    assert search(method, 2, 100, lambda m: -m).chosen == 100
    assert search(method, 5, 5, lambda m: 1.0).chosen == 5


@pytest.mark.parametrize("method", CORRECT)
def test_plateau_at_the_minimum(method: str) -> None:
    """A score that stops improving once m >= n (flat bottom), or flat around a centre: any bottom point."""
    for n in (2, 7, 30, 100):
        func = lambda m, n=n: max(n - m, 0)  # noqa: E731
        chosen = search(method, 2, 100, func).chosen
        assert func(chosen) == 0 and chosen >= n
    for centre, width in ((20, 3), (60, 10), (97, 5)):
        func = lambda m, c=centre, w=width: max(abs(m - c) - w, 0)  # noqa: E731
        assert func(search(method, 2, 100, func).chosen) == 0


def test_linear_prefers_the_smallest_m_on_a_plateau() -> None:
    assert linear(2, 100, lambda m: max(13 - m, 0)) == 13


@pytest.mark.parametrize("seed", range(20))
def test_noise_smaller_than_the_slope_does_not_mislead_ternary(seed: int) -> None:
    """Neighbouring values of (m - p)^2 differ by at least 1 and equal values sit on both sides of p, so
    noise below 0.5 cannot send the search away from p."""
    rng = random.Random(seed)
    p = rng.randint(2, 100)
    noise = {m: rng.uniform(-0.45, 0.45) for m in range(2, 101)}
    func = lambda m: (m - p) ** 2 + noise[m]  # noqa: E731
    assert search("ternary", 2, 100, func).chosen == p
    assert search("linear", 2, 100, func).chosen == p


def test_one_noisy_probe_sends_ternary_away_while_linear_still_finds_the_best() -> None:
    """§8's worry: one bad score at a probe discards the side holding the minimum for good."""
    noisy = {m: float((m - 2) ** 2) for m in range(9)} | {2: 100.0, 1: 0.5}  # the first probe on [0, 8] is 2
    assert search("linear", 0, 8, noisy.__getitem__).chosen == 1
    result = search("ternary", 0, 8, noisy.__getitem__)
    assert result.chosen == 3 and 1 not in result.points


def test_evaluation_counts() -> None:
    func = lambda m: (m - 37) ** 2  # noqa: E731
    lin = search("linear", 2, 100, func)
    assert lin.evaluations == len(lin.points) == 99
    tern = search("ternary", 2, 100, func)
    assert tern.evaluations == len(tern.points)  # never the same m twice
    bound = 2 * math.ceil(math.log(99) / math.log(1.5)) + 3  # two probes per 1/3 cut, then <= 3 points
    assert tern.evaluations <= bound < 99
    for width in range(3, 60):
        bound = 2 * math.ceil(math.log(width) / math.log(1.5)) + 3
        for p in range(0, width + 1):
            assert search("ternary", 0, width, lambda m, p=p: abs(m - p)).evaluations <= bound


def test_log_records_every_call_in_order() -> None:
    log = Log(lambda m: float(m * m))
    for m in (3, 1, 3):
        log(m)
    assert log.calls == [(3, 9.0), (1, 1.0), (3, 9.0)]


def test_missing_scores_are_never_chosen() -> None:
    """A run without a finite score ranks last (it breaks unimodality, so ternary may settle elsewhere)."""
    scores = {m: (m - 5) ** 2 for m in range(0, 11)} | {5: math.nan, 4: None}
    assert search("linear", 0, 10, scores.__getitem__).chosen == 6
    chosen = search("ternary", 0, 10, scores.__getitem__).chosen
    assert scores[chosen] is not None and math.isfinite(scores[chosen])


def test_empty_range_and_bad_tol_fail() -> None:
    for method in SEARCHES:
        with pytest.raises(ValueError, match="empty range"):
            search(method, 5, 4, float)
    with pytest.raises(ValueError, match="tol"):
        ternary_printed(0, 5, float, tol=0)


# ---- supplement Algorithm 1 as printed -------------------------------------------------------------------


def test_printed_algorithm_misses_the_minimum_of_a_unimodal_function() -> None:
    """The check the brief asks for before implementing it: it fails, so a correct search is the default."""
    assert ternary_printed(2, 100, lambda m: (m - 10) ** 2) == 99
    assert ternary(2, 100, lambda m: (m - 10) ** 2) == 10
    misses = [p for p in range(2, 101) if ternary_printed(2, 100, lambda m, p=p: (m - p) ** 2) != p]
    assert len(misses) > 90


def test_printed_algorithm_climbs_towards_the_maximum() -> None:
    """What it does instead: on a hill it ends next to the top (the last, width-1 step compares the
    other way round, so it can stop one short)."""
    for p in range(4, 99):
        assert abs(ternary_printed(2, 100, lambda m, p=p: -((m - p) ** 2)) - p) <= 1


def test_printed_algorithm_misses_endpoint_minima() -> None:
    assert ternary_printed(0, 8, lambda m: m) != 0
    assert ternary_printed(0, 8, lambda m: -m) != 8


def test_printed_algorithm_makes_two_calls_per_iteration_and_stops() -> None:
    rng = random.Random(0)
    for lo in range(0, 5):
        for hi in range(lo, 60):
            values = {m: rng.random() for m in range(lo, hi + 1)}
            log = Log(values.__getitem__)
            chosen = ternary_printed(lo, hi, log)
            assert lo <= chosen <= hi
            assert len(log.calls) % 2 == 0 and (len(log.calls) == 0) == (lo == hi)


def test_printed_result_is_always_evaluated_except_on_a_one_point_range() -> None:
    """Every path through the printed loop ends with a width-1 step that evaluates both ends, so its answer
    has a score, except when low = high and the loop never runs: search() then evaluates it once."""
    for hi in range(1, 30):
        for p in range(0, hi + 1):
            result = search("ternary_printed", 0, hi, lambda m, p=p: (m - p) ** 2)
            assert result.chosen in result.points
    result = search("ternary_printed", 7, 7, lambda m: 3.0)
    assert result.chosen == 7 and result.calls == ((7, 3.0),)


def test_papers_range_counts() -> None:
    """Both branches of the printed loop leave floor(2w/3) of a width w, so on [2, 100] it always makes 22
    calls (11 iterations) whatever func is; widths run 98, 65, 43, 28, 18, 12, 8, 5, 3, 2, 1, 0, and at width
    2 both probes are the same m, so at most 21 distinct m. §8 says 'about 18 models'."""
    rng = random.Random(1)
    noise = {m: rng.random() for m in range(2, 101)}
    for func in (lambda m: (m - 10) ** 2, lambda m: m, lambda m: -m, noise.__getitem__):
        log = Log(func)
        ternary_printed(2, 100, log)
        assert len(log.calls) == 22
        assert len({m for m, _ in log.calls}) <= 21
