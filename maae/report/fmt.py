"""How the report writes numbers: one place, so tables, figures and verdicts print the same value alike.

Four significant digits (a few seeds' spread is coarser than that), integers without a trailing .0, never
exponent notation at the magnitudes the suite reports, "—" for a missing value. An interval over seeds is
always written with its confidence and seed count, so no reader takes a two-seed interval for a settled one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from maae.report.stats import ONE_PER_GROUP, Interval

MISSING = "—"
INTERVAL_KEYS = {"estimate", "low", "high", "seeds", "confidence", "method", "resamples"}


def num(x: Any) -> str:
    """One number: 4 significant digits, an integer as an integer, tiny values as 0, None/NaN as "—"."""
    if x is None:
        return MISSING
    x = float(x)
    if math.isnan(x):
        return MISSING
    if abs(x) < 1e-12:
        return "0"
    if x.is_integer() and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.0f}" if abs(x) >= 1e4 else f"{x:.4g}"


def value(x: Any) -> str:
    """Any cell value on one line: numbers by ``num``, lists joined, mappings as "key: value" pairs."""
    if isinstance(x, bool) or isinstance(x, str):
        return str(x)
    if isinstance(x, int | float) or x is None or hasattr(x, "item"):
        return num(x)
    if isinstance(x, list | tuple):
        return ", ".join(value(v) for v in x)
    if isinstance(x, dict) and INTERVAL_KEYS <= x.keys():  # an Interval.to_dict(), as in verdict.json
        iv = Interval(**{k: x[k] for k in INTERVAL_KEYS})
        return f"{num(iv.estimate)}, {interval(iv)}"
    if isinstance(x, dict):
        return "; ".join(f"{k}: {value(v)}" for k, v in x.items())
    return str(x)


def count(n: int, noun: str) -> str:
    """'1 seed', '5 seeds' (``noun`` given in the plural)."""
    return f"{n} {noun if n != 1 else noun.removesuffix('s')}"


def _kept(values: Iterable[Any]) -> list[Any]:
    found = {v for v in pd.Series(list(values), dtype=object).dropna()}
    return sorted(int(v) if isinstance(v, float) and v.is_integer() else v for v in found)


def distinct(values: Iterable[Any]) -> str:
    """The distinct non-empty values, sorted and comma-separated, e.g. seeds '0, 1, 2'."""
    return ", ".join(str(v) for v in _kept(values))


def span(values: Iterable[Any], thousands: bool = False) -> str:
    """The range of the values, 'a–b', or the one value; '—' for none (``thousands``: '10,000')."""
    kept = _kept(values)
    if not kept:
        return MISSING

    def one(v: Any) -> str:
        return f"{v:,}" if thousands and isinstance(v, int) else value(v)

    return one(kept[0]) if len(kept) == 1 else f"{one(kept[0])}–{one(kept[-1])}"


def interval(iv: Interval) -> str:
    """'95% interval over 5 seeds [0.41, 0.62]', or why there is none."""
    if iv.method == ONE_PER_GROUP:
        return f"{count(iv.seeds, 'seeds')}, {ONE_PER_GROUP}"
    if iv.low is None or iv.high is None:
        return f"{count(iv.seeds, 'seeds')}: no interval"
    return f"{round(iv.confidence * 100)}% interval over {iv.seeds} seeds [{num(iv.low)}, {num(iv.high)}]"


def estimate(iv: Interval, label: str = "") -> str:
    """A table cell: 'mean [low, high] (label, k seeds)', the interval left out where one seed gives none."""
    seeds = count(iv.seeds, "seeds")
    inside = f"{label}, {seeds}" if label else seeds
    if iv.low is None or iv.high is None:
        return f"{num(iv.estimate)} ({inside})"
    return f"{num(iv.estimate)} [{num(iv.low)}, {num(iv.high)}] ({inside})"
