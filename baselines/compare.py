"""Run the searches over a sorted list of candidate m values for each seed, beside one MAAE run.

Every search runs over the index of the candidate list (in live mode the list is every integer of the
range, so index and m agree up to an offset). The MAAE reference is the MAAE run at the largest
candidate m for the same seed, the one run MAAE needs to cover the whole range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from baselines.search import search
from baselines.source import BaselineError, MissingRun, Run, Source

METHODS = ("linear", "ternary", "ternary_printed")

# STEM.csv, one row per (method, seed): (column, meaning), in order. The claims module reads it.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("dataset", "the workflow's data set key"),
    ("mode", "replay (look-ups in the grid's runs.csv) or live (trained on demand, cached)"),
    ("method", "linear, ternary (correct), ternary_printed (supplement Algorithm 1 as printed) or maae"),
    ("seed", "training seed of every run in the row"),
    ("models_trained", "distinct models the search looked at (maae: 1, or 0 when its run is absent)"),
    ("evaluations", "calls to func, repeats included (maae: 1, or 0)"),
    ("train_seconds", "sum of the measured train times of those models (summary.json train_seconds)"),
    ("chosen_m", "the m the search returns (maae: the capacity m it was trained at)"),
    ("score", "score_metric of the chosen run (lower is better)"),
    ("score_metric", "fid, fd_lenet or fd_raw: never compare values across metrics"),
    ("m_active", "maae: active dimensions m_A of its run; searches: the chosen m"),
    ("cost_ratio", "train_seconds / the same seed's MAAE train_seconds (empty when that run is absent)"),
    ("range_lo", "smallest candidate m"),
    ("range_hi", "largest candidate m (the MAAE reference's capacity)"),
    ("scale", "smoke, cpu or paper"),
    ("note", "why a row has no values (e.g. the MAAE run is absent from the grid); else empty"),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)


@dataclass(frozen=True)
class Comparison:
    source: Source
    candidates: tuple[int, ...]
    seeds: tuple[int, ...]
    frame: pd.DataFrame  # COLUMN_NAMES
    runs: tuple[Run, ...]  # every distinct run looked at, the MAAE references included


def _maae_row(source: Source, top: int, seed: int, seen: dict) -> tuple[dict[str, Any], Run | None]:
    """The MAAE reference row of one seed, and its run (None, with the reason in the row, when absent)."""
    try:
        ref = source.run("maae", top, seed)
    except MissingRun as err:
        return {"models_trained": 0, "evaluations": 0, "note": f"no MAAE reference: {err}"}, None
    seen[("maae", top, seed)] = ref
    row = {"models_trained": 1, "evaluations": 1, "train_seconds": ref.train_seconds, "chosen_m": ref.m}
    return {**row, "score": ref.score, "m_active": ref.m_active, "cost_ratio": 1.0}, ref


def _search_row(source: Source, cands: tuple[int, ...], seed: int, method: str, seen: dict) -> dict[str, Any]:
    looked: dict[int, Run] = {}

    def func(i: int) -> float:
        try:
            run = source.run("wae", cands[i], seed)
        except MissingRun as err:
            raise BaselineError(f"{method} search, seed {seed}: {err}") from err
        looked[i] = seen[("wae", run.m, seed)] = run
        return run.score

    result = search(method, 0, len(cands) - 1, func)
    chosen = looked[result.chosen]
    seconds = sum(looked[i].train_seconds for i in result.points)
    return {
        "models_trained": len(result.points),
        "evaluations": result.evaluations,
        "train_seconds": seconds,
        "chosen_m": chosen.m,
        "score": chosen.score,
        "m_active": chosen.m,
    }


def compare(source: Source, candidates: list[int], seeds: list[int], methods: list[str]) -> Comparison:
    cands = tuple(sorted(set(candidates)))
    if not cands:
        raise BaselineError("no candidate m values to search over")
    base = {
        "dataset": source.dataset,
        "mode": source.mode,
        "score_metric": source.metric,
        "range_lo": cands[0],
        "range_hi": cands[-1],
        "scale": source.scale,
        "note": "",
    }
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, int, int], Run] = {}
    for seed in seeds:
        row, ref = _maae_row(source, cands[-1], seed, seen)
        rows.append({**base, "method": "maae", "seed": seed, **row})
        for method in methods:
            row = _search_row(source, cands, seed, method, seen)
            ratio = (
                row["train_seconds"] / ref.train_seconds
                if ref is not None and ref.train_seconds > 0
                else math.nan
            )
            rows.append({**base, "method": method, "seed": seed, **row, "cost_ratio": ratio})
    frame = pd.DataFrame(rows, columns=list(COLUMN_NAMES))
    return Comparison(source, cands, tuple(seeds), frame, tuple(seen.values()))
