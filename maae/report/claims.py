"""The paper's testable claims as predicates: pass, fail, inconclusive or not run, with why and the figures
behind it.

A predicate is a pure function of one scale's results (runs.csv, the datasets.json manifest, the §8
baselines tables) and the paper reference; it judges every data set the claim covers and returns one Part
per data set. ``judge`` folds the parts into a Verdict: fail if any part fails, else inconclusive if any
is, else pass if any passes, else not run. A claim's quantity is computed per seed (a paired difference
between models or between two m, the location of a minimum) and judged by its bootstrap interval over
seeds (maae.report.stats); the claims about the final mask use only runs whose m_A settled. Tolerances and
the reasons they are fair live in paper_reference.yaml (``claims:``, ``statistics:``,
``training_length:``); none is written here. "Not run" always says why: the data set is missing or not in
the scale, the runs are too short, the grid has too few m values, too few seeds for an interval, or
metrics that cannot be compared. Every primary score is a distance (lower is better); the KDE
log-likelihood is the one higher-is-better column.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from maae.kinds import MODEL_KINDS
from maae.report import fmt, stats
from maae.report.aggregate import capacity as aggregate_capacity
from maae.report.aggregate import later_looks as aggregate_later_looks
from maae.report.aggregate import table2_m, unavailable_reason
from maae.report.stats import Interval, decide, lowest_mean_at, seed_bootstrap, seeds_to_decide

STATUSES = ("pass", "fail", "inconclusive", "not_run")


def above(bound: float) -> float:
    """The least float above ``bound``: decide's regions are closed, and "beyond" a tolerance is strict
    (``bound + math.ulp(0.0)`` is ``bound`` itself for any bound but 0)."""
    return math.nextafter(bound, math.inf)


# "MAAE lower": the paired difference strictly above 0.
ABOVE_ZERO = above(0.0)
# The columns of a <results>/baselines/<dataset>.csv the §8 claim reads (written by baselines.compare).
SEARCH_COLUMNS = ("mode", "method", "seed", "models_trained", "train_seconds", "range_lo", "range_hi")


@dataclass(frozen=True)
class Part:
    """One data set's judgement of a claim; ``evidence`` holds the figures (``table``: one record per row).
    ``look`` is the latest look at the claims whose seeds it uses (scales.looks); ``earlier`` what each
    earlier look's runs alone said ({look, status, reason}), so a verdict reached on a later look says so."""

    dataset: str
    status: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, Any] = field(default_factory=dict)
    look: int = 1
    earlier: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        _check_status(self.dataset, self.status, self.reason)


@dataclass(frozen=True)
class Verdict:
    claim: str
    statement: str
    where: str
    rule: str
    why_fair: str
    status: str
    reason: str
    scale: str
    parts: tuple[Part, ...]

    def __post_init__(self) -> None:
        _check_status(self.claim, self.status, self.reason)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_status(what: str, status: str, reason: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"{what}: status {status!r} is not one of {', '.join(STATUSES)}")
    if not reason:
        raise ValueError(f"{what}: a {status} judgement needs a reason")


@dataclass(frozen=True)
class Inputs:
    """What every predicate reads; ``baselines`` maps a data set to its <results>/baselines/<dataset>.csv."""

    runs: pd.DataFrame
    manifest: dict[str, Any]
    reference: dict[str, Any]
    baselines: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def scale(self) -> str:
        return str(self.manifest.get("scale", "unknown"))

    def settings(self, claim: str) -> dict[str, Any]:
        """A claim's settings, a tolerance written as derived from the paper's numbers (``range_of``)
        computed from them, so that it cannot drift from them by rounding."""
        written = self.reference["claims"][claim]
        return {key: _derived(self.reference, value) for key, value in written.items()}

    @property
    def bootstrap(self) -> dict[str, Any]:
        """seed_bootstrap's settings, pre-registered in the reference (``statistics:``)."""
        return stats.settings(self.reference)

    def per_m(self, frame: pd.DataFrame, column: str) -> pd.DataFrame:
        """Mean with its interval over seeds, seed count and per-seed values of ``column`` at each m."""
        return stats.per_m(frame, column, **self.bootstrap)

    def select(self, dataset: str, model: str) -> pd.DataFrame:
        runs = self.runs
        return runs[(runs["dataset"] == dataset) & (runs["model"] == model)]

    def _later_looks(self) -> dict[tuple[str, str, int, int], int]:
        """(dataset, model, m, seed) of every run added at a look after the first, with its look."""
        return {
            (name, *run): look
            for name in self.manifest["datasets"]
            for run, look in aggregate_later_looks(self.manifest, name).items()
        }

    @property
    def last_look(self) -> int:
        return max(self._later_looks().values(), default=1)

    def up_to_look(self, look: int) -> Inputs:
        """The same inputs without the runs added after ``look``: what the claims said before they ran."""
        later = {run for run, k in self._later_looks().items() if k > look}
        keys = zip(self.runs["dataset"], self.runs["model"], self.runs["m"], self.runs["seed"], strict=True)
        keep = [(name, model, int(m), int(seed)) not in later for name, model, m, seed in keys]
        return dataclasses.replace(self, runs=self.runs[keep])


def _derived(reference: dict[str, Any], value: Any) -> Any:
    """``{range_of: <table>.<column>, from_m: m}``: the range (max - min) of that column of a paper table in
    the reference over its m >= from_m; any other value as it is."""
    if not (isinstance(value, dict) and "range_of" in value):
        return value
    table_name, column = str(value["range_of"]).split(".")
    table = reference[table_name]
    kept = [v for m, v in zip(table["m"], table[column], strict=True) if m >= value["from_m"]]
    if not kept:
        raise ValueError(f"range_of {value['range_of']}: no m >= {value['from_m']} in the reference's table")
    return float(max(kept) - min(kept))


# ---- shared pieces -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-ready number: numpy scalars as Python ones, integral floats as int, NaN as None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _distinct(values: pd.Series) -> list[Any]:
    return sorted(_plain(v) for v in pd.unique(values.dropna()))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", double_precision=6))


def _samples(frame: pd.DataFrame, counts: tuple[str, ...] = ()) -> dict[str, Any]:
    """How many runs, seeds and steps (and which sample counts) stand behind a part."""
    out: dict[str, Any] = {
        "runs": len(frame),
        "seeds": _distinct(frame["seed"]),
        "steps": _distinct(frame["steps"]),
    }
    for column in counts:
        out[column] = _distinct(frame[column])
    change = frame["recon_final_change"].dropna() if "recon_final_change" in frame else pd.Series(dtype=float)
    if not change.empty:  # shown, not judged: whether training had levelled off (runs.csv recon_final_change)
        out["recon_final_change"] = (
            f"median {change.median():+.1%} ({change.min():+.1%} to {change.max():+.1%}, {len(change)} runs)"
        )
    return out


def _table(tables: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    """Side-by-side per-m records of several per_m tables, e.g. {"maae": ..., "wae": ...}."""
    wide = pd.concat(tables, axis=1)
    wide.columns = [f"{label} {column}" for label, column in wide.columns]
    return _records(wide.rename_axis("m").reset_index())


def _too_few_seeds(inp: Inputs, tables: dict[str, pd.DataFrame]) -> str | None:
    need = inp.reference["statistics"]["min_seeds"]
    short = [
        f"{label} m = {m}: {k}" for label, t in tables.items() for m, k in t["seeds"].items() if k < need
    ]
    if not short:
        return None
    return f"too few seeds for an interval ({need} needed at each m; have {', '.join(short)})"


def _too_few_paired(inp: Inputs, per_seed: Any, what: str) -> str | None:
    """A paired quantity (two models, or two m, at the same seed) needs min_seeds seeds that have both;
    each side's own count (``_too_few_seeds``) can be enough while their seeds do not meet."""
    need = inp.reference["statistics"]["min_seeds"]
    if len(per_seed) >= need:
        return None
    return f"too few seeds for an interval: {what} needs {need} seeds that have both, has {len(per_seed)}"


def coverage(inp: Inputs, dataset: str) -> Part | None:
    """A not-run part when the scale does not list the data set or could not run it, else None."""
    reason = unavailable_reason(inp.manifest, dataset)
    return None if reason is None else Part(dataset, "not_run", reason)


def _synthetic(inp: Inputs) -> list[str]:
    return [name for name, info in inp.manifest["datasets"].items() if info["data"] == "synthetic"]


def _no_synthetic(inp: Inputs) -> list[Part]:
    return [Part("synthetic data", "not_run", f"no synthetic data set in the {inp.scale} scale")]


def capacity(inp: Inputs, dataset: str) -> int | None:
    return aggregate_capacity(inp.manifest, dataset)


def _ms(values: Any) -> str:
    return fmt.distinct(values)


# ---- the predicates -------------------------------------------------------------------------------------


def synthetic_m_active(inp: Inputs) -> list[Part]:
    s = inp.settings("synthetic_m_active")
    names = _synthetic(inp)
    parts = [coverage(inp, name) or _m_active_part(inp, name, s) for name in names]
    return parts or _no_synthetic(inp)


def _settled_masks(inp: Inputs, runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs whose m_A stopped moving over the final fraction of training (``statistics:``), and those
    whose mask was still moving (or that have no training log to tell)."""
    ok = stats.settled_runs(runs, inp.reference["statistics"]["settled_fraction"])
    return runs[ok], runs[~ok]


def _moving_note(inp: Inputs, moving: pd.DataFrame) -> str:
    """Names the runs a claim about the final mask could not judge, "mask still moving"."""
    if moving.empty:
        return ""
    fraction = inp.reference["statistics"]["settled_fraction"]
    listed = ", ".join(f"m = {int(r.m)} seed {int(r.seed)}" for r in moving.itertuples())
    return (
        f"; not judged, mask still moving (m_A changed within the final {fraction:.0%} of training, or no "
        f"training log): {listed}"
    )


def _m_active_part(inp: Inputs, name: str, s: dict[str, Any]) -> Part:
    n = int(inp.manifest["datasets"][name]["n"])
    tol = max(s["at_least"], math.ceil(s["relative"] * n))
    runs = inp.select(name, "maae").dropna(subset=["m_active"])
    if runs.empty:
        return Part(name, "not_run", "no MAAE run with an m_A")
    runs, moving = _settled_masks(inp, runs)
    moving = moving[moving["m"] >= n]
    note = _moving_note(inp, moving)
    if runs.empty:
        return Part(name, "not_run", "no MAAE run whose mask settled" + note)
    judged = runs[runs["m"] >= n].sort_values(["m", "seed"])
    if not (judged["m"] > n).any():
        return Part(
            name,
            "not_run",
            f"no settled MAAE run with m > n = {n} (m: {_ms(sorted(set(runs['m'])))}): "
            "the mask has nothing to remove" + note,
        )
    miss = (judged["m_active"] - n).abs()
    bad = judged[miss > tol]
    evidence = {
        "n": n,
        "tolerance": tol,
        "largest miss": _plain(miss.max()),
        "still moving": len(moving),
        "table": _table({"m_A": inp.per_m(judged, "m_active")}),
    }
    samples = _samples(judged)
    if not bad.empty:
        shown = "; ".join(
            f"m = {int(r.m)}, seed {int(r.seed)}: m_A = {int(r.m_active)}" for r in bad.itertuples()
        )
        why = (
            f"{len(bad)} of {len(judged)} settled MAAE runs with m ≥ {n} miss n = {n} by more than {tol} "
            f"({shown})"
        )
        return Part(name, "fail", why + note, evidence, samples)
    why = (
        f"all {len(judged)} settled MAAE runs with m ≥ {n} have |m_A − n| ≤ {tol} "
        f"(largest miss {evidence['largest miss']})"
    )
    if not moving.empty:  # the rule asks every run: one whose mask still moves leaves it open
        return Part(
            name, "inconclusive", f"{why}, but {len(moving)} more still moving" + note, evidence, samples
        )
    return Part(name, "pass", why, evidence, samples)


def _scoped(inp: Inputs, scope: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """A claim's data sets and the m each is judged at, as the reference file scopes them: ``synthetic: n``
    is every synthetic data set of the scale at its own n; a data set key maps to the path of the paper's
    number in the reference file (e.g. figures.fig4c.wae_best_m)."""
    out: dict[str, tuple[int, str]] = {}
    for key, where in scope.items():
        if key == "synthetic":
            if where != "n":
                raise ValueError(f"synthetic: {where!r}: synthetic data sets are scoped by their n")
            out |= {name: (int(inp.manifest["datasets"][name]["n"]), "n") for name in _synthetic(inp)}
        else:
            value: Any = inp.reference
            for part in str(where).split("."):
                value = value[part]
            out[key] = (int(value), f"the paper's, {where}")
    return out


def wae_u_shape(inp: Inputs) -> list[Part]:
    s = inp.settings("wae_u_shape")
    targets = _scoped(inp, s["targets"])
    return [
        coverage(inp, name) or _u_shape_part(inp, name, target, what, s)
        for name, (target, what) in targets.items()
    ]


def _u_shape_part(inp: Inputs, name: str, target: int, what: str, s: dict[str, Any]) -> Part:
    runs = inp.select(name, "wae")
    table = inp.per_m(runs, "score")
    if table.empty:
        return Part(name, "not_run", "no WAE run with a score")
    ms = [int(m) for m in table.index]
    if len(ms) < s["min_m_values"] or ms[0] >= target or ms[-1] <= target:
        return Part(
            name,
            "not_run",
            f"too few m values to judge a U-shape: need {s['min_m_values']} or more with "
            f"one below and one above {target} ({what}); have m = {_ms(ms)}",
        )
    near_tol = max(s["at_least"], math.ceil(s["relative"] * target))
    if not any(abs(m - target) <= near_tol for m in ms):
        return Part(
            name, "not_run", f"no m within ± {near_tol} of {target} ({what}) in the grid (m = {_ms(ms)})"
        )
    few = _too_few_seeds(inp, {"WAE": table})
    if few:
        return Part(name, "not_run", few)
    # one curve over the grid per seed (NaN where a seed was not trained: more_seeds cover part of the
    # grid), so a seed's runs stay together when seeds are resampled
    curves = runs.pivot_table(index="seed", columns="m", values="score").reindex(columns=ms)
    per_seed = {int(seed): row.to_numpy() for seed, row in curves.iterrows()}
    location = partial(lowest_mean_at, grid=ms)
    # seeds trained at the same m values are resampled together (stratified), so no draw lacks an m
    coverage_of = {seed: tuple(~np.isnan(c)) for seed, c in per_seed.items()}
    where = seed_bootstrap(per_seed, location, strata=coverage_of, **inp.bootstrap)
    best_m = int(where.estimate)
    best = ms.index(best_m)
    # both ends above the minimum: the per-seed rise from the best m to each end of the grid, over the
    # seeds trained at both
    end_of = {"left": 0, "right": len(ms) - 1}
    rise_per_seed = {
        key: {seed: float(c[end] - c[best]) for seed, c in per_seed.items() if not np.isnan(c[end] - c[best])}
        for key, end in end_of.items()
    }
    for key, end in end_of.items():
        few = _too_few_paired(inp, rise_per_seed[key], f"the rise from m = {best_m} to m = {ms[end]}")
        if few:
            return Part(name, "not_run", few)
    rises = {key: seed_bootstrap(values, **inp.bootstrap) for key, values in rise_per_seed.items()}
    status = {
        "near": decide(where, target - near_tol, target + near_tol),
        **{key: decide(rise, low=ABOVE_ZERO) for key, rise in rises.items()},
    }
    ends = {"left": f"smallest m = {ms[0]}", "right": f"largest m = {ms[-1]}"}
    says = {"near": f"minimum at m = {best_m} ({fmt.interval(where)}; {target} ± {near_tol} asked)"} | {
        key: f"{ends[key]} rises {fmt.num(r.estimate)} above it ({fmt.interval(r)})"
        for key, r in rises.items()
    }
    evidence = {
        "metric": _distinct(runs["score_metric"]),
        "target": target,
        "target is": what,
        "near tolerance": near_tol,
        "minimum at m": best_m,
        "checks": {
            "near": {"interval": where.to_dict(), "status": status["near"]},
            **{key: {"interval": r.to_dict(), "status": status[key]} for key, r in rises.items()},
        },
        "table": _table({"WAE": table}),
    }
    samples = _samples(runs, ("n_generated", "n_real"))
    verdict = _worst(status.values())
    if verdict == "pass":
        return Part(name, "pass", "U-shaped: " + "; ".join(says.values()), evidence, samples)
    shown = [says[k] for k, v in status.items() if v == verdict]
    why = f"not a U with its minimum near {target}: " if verdict == "fail" else "undecided: "
    if verdict == "inconclusive":  # each undecided check with the seeds that would likely decide it
        if status["near"] == "inconclusive":
            # the location is resampled within groups of equal coverage: only seeds trained at every m
            # narrow it, so the count is of those
            whole = sum(not np.isnan(c).any() for c in per_seed.values())
            near = dataclasses.replace(where, seeds=whole)
            need = seeds_to_decide(near, target - near_tol, target + near_tol) if whole > 1 else None
            shown.append(f"the minimum's place: {_need_text(need, whole, 'seeds trained at every m')}")
        shown += [
            f"the rise to {ends[key]}: {_seeds_needed(rises[key], ABOVE_ZERO, None)}"
            for key in rises
            if status[key] == "inconclusive"
        ]
    return Part(name, verdict, why + "; ".join(shown), evidence, samples)


def maae_flat_wae_worsens(inp: Inputs) -> list[Part]:
    s = inp.settings("maae_flat_wae_worsens")
    starts = _scoped(inp, s["from_m"])
    return [
        coverage(inp, name) or _flat_part(inp, name, m0, what, "score", s["relative"], 0.0)
        for name, (m0, what) in starts.items()
    ]


def table3_kde(inp: Inputs) -> list[Part]:
    s = inp.settings("table3_kde")
    parts = []
    for name in _synthetic(inp):
        n = int(inp.manifest["datasets"][name]["n"])
        parts.append(coverage(inp, name) or _flat_part(inp, name, n, "n", "kde", 0.0, float(s["nats"])))
    return parts or _no_synthetic(inp)


def _flat_part(
    inp: Inputs, name: str, m0: int, what: str, column: str, relative: float, absolute: float
) -> Part:
    """MAAE stays within the tolerance of its best over m >= m0; the WAE's largest m is worse than that."""
    maae_runs, wae_runs = inp.select(name, "maae"), inp.select(name, "wae")
    if column == "score":
        metrics = _distinct(pd.concat([maae_runs, wae_runs])["score_metric"])
        if len(metrics) > 1:
            return Part(name, "not_run", f"metric not comparable: MAAE and WAE runs use {', '.join(metrics)}")
    sign = -1.0 if column == "kde" else 1.0  # work with "lower is better" throughout
    tables = {
        label: inp.per_m(r[r["m"] >= m0], column) for label, r in (("MAAE", maae_runs), ("WAE", wae_runs))
    }
    absent = [label for label, r in (("MAAE", maae_runs), ("WAE", wae_runs)) if r[column].isna().all()]
    if absent:
        return Part(name, "not_run", f"no {column} values for {' and '.join(absent)} in runs.csv")
    shared = sorted(int(m) for m in set(tables["MAAE"].index) & set(tables["WAE"].index))
    if len(shared) < 2 or shared[-1] <= m0:
        return Part(
            name,
            "not_run",
            f"too few m values ≥ {m0} ({what}) with both models: need two, one of them "
            f"above {m0}; have m = {_ms(shared)}",
        )
    tables = {label: t.loc[shared] for label, t in tables.items()}
    few = _too_few_seeds(inp, tables)
    if few:
        return Part(name, "not_run", few)
    maae, wae = tables["MAAE"], tables["WAE"]
    maae_best = int((sign * maae["mean"]).idxmin())
    wae_best = int((sign * wae["mean"]).idxmin())

    def excess(runs: pd.DataFrame, m: int, best_m: int) -> pd.Series:
        """How much worse m is than best_m, per seed (paired: the seeds trained at both)."""
        curves = runs.pivot_table(index="seed", columns="m", values=column)
        return (sign * (curves[m] - curves[best_m])).dropna() + 0.0

    # MAAE flat: each m's excess over its best within the tolerance; the WAE worse beyond the same tolerance
    maae_tol = float(relative * abs(maae.loc[maae_best, "mean"]) + absolute)
    wae_tol = float(relative * abs(wae.loc[wae_best, "mean"]) + absolute)
    per_seed = {("MAAE", m, maae_best): excess(maae_runs, m, maae_best) for m in shared}
    per_seed[("WAE", shared[-1], wae_best)] = excess(wae_runs, shared[-1], wae_best)
    for (label, m, best_m), diff in per_seed.items():
        few = _too_few_paired(inp, diff, f"{label} at m = {m} against its best m = {best_m}")
        if few:
            return Part(name, "not_run", few)
    intervals = {key[:2]: seed_bootstrap(diff, **inp.bootstrap) for key, diff in per_seed.items()}
    spread = {m: intervals[("MAAE", m)] for m in shared}
    flat_status = {m: decide(iv, high=maae_tol) for m, iv in spread.items()}
    wae_excess = intervals[("WAE", shared[-1])]
    worsens = decide(wae_excess, low=above(wae_tol))
    worst_m = max(shared, key=lambda m: spread[m].high if spread[m].high is not None else spread[m].estimate)
    flat = _worst(flat_status.values())
    evidence = {
        "metric": column if column == "kde" else _distinct(maae_runs["score_metric"]),
        "m0": m0,
        "MAAE best at m": maae_best,
        "MAAE tolerance": _plain(maae_tol),
        "MAAE excess over its best (interval per m)": {m: iv.to_dict() for m, iv in spread.items()},
        "WAE best at m": wae_best,
        "WAE tolerance": _plain(wae_tol),
        "WAE excess at the largest m": wae_excess.to_dict(),
        "table": _table(tables),
    }
    counts = ("n_generated", "kde_n_fit") if column == "kde" else ("n_generated", "n_real")
    both = pd.concat([maae_runs, wae_runs])
    samples = _samples(both[both["m"] >= m0], counts)
    stays = {"pass": "stays", "fail": "does not stay", "inconclusive": "may not stay"}[flat]
    maae_says = (
        f"MAAE {stays} near its best (m = {maae_best}) for m ≥ {m0}: worst m = {worst_m} is "
        f"{fmt.num(spread[worst_m].estimate)} worse ({fmt.interval(spread[worst_m])}), "
        f"{fmt.num(maae_tol)} allowed"
    )
    more = {"pass": "more", "fail": "not more", "inconclusive": "undecided whether more"}[worsens]
    wae_says = (
        f"WAE at m = {shared[-1]} is {fmt.num(wae_excess.estimate)} worse than its best (m = {wae_best}) "
        f"({fmt.interval(wae_excess)}), {more} than the {fmt.num(wae_tol)} that counts as worse"
    )
    status = _worst((flat, worsens))
    says = f"{maae_says}; {wae_says}"
    if status == "inconclusive":  # each undecided check with the seeds that would likely decide it
        undecided = [
            f"MAAE at m = {m}: {_seeds_needed(spread[m], None, maae_tol)}"
            for m, v in flat_status.items()
            if v == "inconclusive"
        ]
        if worsens == "inconclusive":
            undecided.append(f"the WAE: {_seeds_needed(wae_excess, above(wae_tol), None)}")
        says += "; " + "; ".join(undecided)
    return Part(name, status, says, evidence, samples)


def nac_maae_below_wae(inp: Inputs) -> list[Part]:
    paper = {row["dataset"]: row for row in inp.reference["table2"]["rows"]}
    names = list(dict.fromkeys([*paper, *inp.manifest["datasets"]]))
    return [
        coverage(inp, name)
        or _below_part(
            inp,
            name,
            table2_m(inp.manifest, name, paper.get(name, {}).get("m")),
            "nac",
            paper.get(name),
            ("n_codes",),
        )
        for name in names
    ]


def table1_maae_beats_wae(inp: Inputs) -> list[Part]:
    names = inp.reference["table1"]["datasets"]
    return [
        coverage(inp, name)
        or _below_part(inp, name, capacity(inp, name), "score", None, ("n_generated", "n_real"))
        for name in names
    ]


def table1_maae_beats_wae_gan(inp: Inputs) -> list[Part]:
    names = inp.reference["table1"]["datasets"]
    return [
        coverage(inp, name)
        or _below_part(inp, name, capacity(inp, name), "score", None, ("n_generated", "n_real"), "wae_gan")
        for name in names
    ]


def _below_part(
    inp: Inputs,
    name: str,
    m: int | None,
    column: str,
    paper: dict[str, Any] | None,
    counts: tuple[str, ...],
    versus: str = "wae",
) -> Part:
    """MAAE's ``column`` below the ``versus`` model's beyond noise, paired by seed, at m (the capacity;
    Table 2's m for NAC)."""
    if m is None:
        return Part(name, "not_run", "no capacity m and no m grid in datasets.json")
    other = MODEL_KINDS[versus].label
    runs = {}
    for label, model in (("MAAE", "maae"), (other, versus)):
        selected = inp.select(name, model)
        runs[label] = selected[selected["m"] == m].dropna(subset=[column])
    absent = [label for label, r in runs.items() if r.empty]
    if absent:
        at = "the capacity" if m == capacity(inp, name) else "Table 2's"
        return Part(name, "not_run", f"no {column} for {' and '.join(absent)} at {at} m = {m}")
    metrics = _distinct(pd.concat(runs.values())["score_metric"]) if column == "score" else [column]
    if len(metrics) > 1:
        return Part(name, "not_run", f"metric not comparable: MAAE and {other} use {', '.join(metrics)}")
    tables = {label: inp.per_m(r, column) for label, r in runs.items()}
    few = _too_few_seeds(inp, tables)
    if few:
        return Part(name, "not_run", few)
    # the quantity per seed: the paired difference other - MAAE at the same m and seed
    by_seed = {label: r.groupby("seed")[column].mean() for label, r in runs.items()}
    paired = (by_seed[other] - by_seed["MAAE"]).dropna()
    few = _too_few_paired(inp, paired, f"MAAE against the {other} at m = {m}")
    if few:
        return Part(name, "not_run", few)
    interval = seed_bootstrap(paired, **inp.bootstrap)
    status = decide(interval, low=ABOVE_ZERO)
    evidence: dict[str, Any] = {
        "m": m,
        "metric": metrics[0],
        f"{other} − MAAE": _plain(interval.estimate),
        "interval": interval.to_dict(),
        "per_seed": {int(seed): _plain(value) for seed, value in paired.items()},
    }
    if paper is not None:
        evidence["paper"] = {"m": paper["m"], "MAAE": paper[f"maae_{column}"], "WAE": paper[f"wae_{column}"]}
    evidence["table"] = _table(tables)
    samples = _samples(pd.concat(runs.values()), counts)
    # the means beside the difference are over the seeds it pairs, so the two always agree
    means = {label: float(values[paired.index].mean()) for label, values in by_seed.items()}
    unpaired = [
        f"{label} {fmt.count(len(v), 'seeds')}" for label, v in by_seed.items() if len(v) > len(paired)
    ]
    over = f" over the {len(paired)} seeds both have ({', '.join(unpaired)} in all)" if unpaired else ""
    says = (
        f"{metrics[0]} at m = {m}{over}: MAAE {fmt.num(means['MAAE'])}, {other} {fmt.num(means[other])}; "
        f"MAAE lower by {fmt.num(interval.estimate)}, {fmt.interval(interval)}"
    )
    if status == "inconclusive":
        says += f"; {_seeds_needed(interval, ABOVE_ZERO, None)}"
    return Part(name, status, says, evidence, samples)


def _worst(statuses: Iterable[str]) -> str:
    """One status from a claim's several checks: any fail fails, else any inconclusive, else pass."""
    found = set(statuses)
    return "fail" if "fail" in found else "inconclusive" if "inconclusive" in found else "pass"


def _seeds_needed(interval: Interval, low: float | None, high: float | None) -> str:
    return _need_text(seeds_to_decide(interval, low, high), interval.seeds)


def _need_text(need: int | None, now: int, seeds: str = "seeds") -> str:
    if need is None:
        return "the spread says more than 100 seeds, or none, would decide it"
    return f"about {need} {seeds} would likely decide it (now {now})"


def mnist_m_active_band(inp: Inputs) -> list[Part]:
    s = inp.settings("mnist_m_active_band")
    return [coverage(inp, name) or _band_part(inp, name, s) for name in s["datasets"]]


def _band_part(inp: Inputs, name: str, s: dict[str, Any]) -> Part:
    runs, moving = _settled_masks(inp, inp.select(name, "maae").dropna(subset=["m_active"]))
    moving = moving[moving["m"] >= s["from_m"]]
    note = _moving_note(inp, moving)
    judged = runs[runs["m"] >= s["from_m"]]
    ms = sorted(set(judged["m"]))
    if len(ms) < s["min_m_values"]:
        return Part(
            name,
            "not_run",
            f"too few settled MAAE m values ≥ {s['from_m']} to judge a band: need "
            f"{s['min_m_values']}, have m = {_ms(ms)}{note}",
        )
    lo, hi = int(judged["m_active"].min()), int(judged["m_active"].max())
    paper_lo, paper_hi = inp.reference["figures"]["fig4c"]["maae_m_active_range"]
    evidence = {
        "band": [lo, hi],
        "width": hi - lo,
        "allowed width": s["width"],
        "paper band": [paper_lo, paper_hi],
        "overlaps the paper's band": bool(lo <= paper_hi and hi >= paper_lo),
        "still moving": len(moving),
        "table": _table({"m_A": inp.per_m(judged, "m_active")}),
    }
    says = (
        f"m_A over {len(judged)} settled MAAE runs at m = {_ms(ms)} spans {lo}–{hi} (width {hi - lo}, "
        f"allowed {s['width']}); the paper's band is {paper_lo}–{paper_hi}"
    )
    status = "fail" if hi - lo > s["width"] else "inconclusive" if not moving.empty else "pass"
    if status == "inconclusive":
        says += f", but {len(moving)} more still moving"
    return Part(name, status, says + note, evidence, _samples(judged))


def naive_search_cost(inp: Inputs) -> list[Part]:
    if not inp.baselines:
        return [
            Part(
                "baselines",
                "not_run",
                f"no baselines table under <results>/baselines/: the {inp.scale} scale ran no §8 search",
            )
        ]
    return [_search_part(inp, name, table) for name, table in sorted(inp.baselines.items())]


def _search_part(inp: Inputs, name: str, table: pd.DataFrame) -> Part:
    s = inp.settings("naive_search_cost")
    paper = inp.reference["runtimes"]["naive_search"]
    maae = table[(table["method"] == "maae") & (table["train_seconds"] > 0)]
    maae = maae.set_index(["mode", "seed"])["train_seconds"]
    searches = table[table["method"] != "maae"].copy()
    keys = list(zip(searches["mode"], searches["seed"], strict=True))
    searches["maae_seconds"] = [maae.get(key, math.nan) for key in keys]
    searches["ratio"] = searches["train_seconds"] / searches["maae_seconds"]
    searches["judged"] = searches["method"].isin(s["methods"])
    shown = searches[[*SEARCH_COLUMNS, "maae_seconds", "ratio", "judged"]]
    paired = searches[searches["judged"] & searches["ratio"].notna()]
    per_model = paper["wae_minutes"] / paper["maae_minutes"]
    evidence: dict[str, Any] = {"table": _records(shown)}
    samples = {
        "seeds": _distinct(table["seed"]),
        "modes": _distinct(table["mode"]),
        "range": [_plain(table["range_lo"].min()), _plain(table["range_hi"].max())],
    }
    if paired.empty:
        notes = "; ".join(n for n in table.get("note", pd.Series(dtype=str)).dropna().unique() if n)
        return Part(
            name,
            "not_run",
            "no linear or ternary search row has a MAAE run of the same seed to compare "
            f"with{': ' + notes if notes else ''}",
            evidence,
            samples,
        )
    groups = paired.groupby(["mode", "method"]).agg(ratio=("ratio", "mean"), models=("models_trained", "min"))
    groups["per_model"] = groups["ratio"] / groups["models"]
    intervals = {  # the ratio over seeds: each seed's search against that seed's MAAE run
        key: seed_bootstrap(rows.groupby("seed")["ratio"].mean(), **inp.bootstrap)
        for key, rows in paired.groupby(["mode", "method"])
    }
    evidence["one searched WAE, in MAAE runs"] = {
        f"{mode} {method}": _plain(value) for (mode, method), value in groups["per_model"].items()
    }
    evidence["paper: one WAE, in MAAE runs"] = _plain(per_model)
    evidence["extrapolated to the paper's model counts"] = {
        "linear": _plain(groups["per_model"].mean() * paper["linear_search_models"]),
        "ternary": _plain(groups["per_model"].mean() * paper["ternary_search_models"]),
    }
    judged = groups[groups["models"] >= s["min_models"]]
    too_few = f", fewer than {s['min_models']}: not judged"
    text = "; ".join(
        f"{mode} {method}: {fmt.num(r.ratio)}× one MAAE run, {fmt.interval(intervals[(mode, method)])} "
        f"({int(r.models)} models{too_few if r.models < s['min_models'] else ''})"
        for (mode, method), r in groups.iterrows()
    )
    evidence["ratio over seeds"] = {" ".join(key): iv.to_dict() for key, iv in intervals.items()}
    if judged.empty:
        return Part(
            name,
            "not_run",
            f"scale too small: the searches trained at most {int(groups['models'].max())} "
            f"models (m ∈ [{samples['range'][0]}, {samples['range'][1]}]), fewer than the "
            f"{s['min_models']} a search needs to reach {s['min_ratio']}× one MAAE run even where the "
            f"claim holds ({text})",
            evidence,
            samples,
        )
    need = inp.reference["statistics"]["min_seeds"]
    few = [f"{' '.join(key)}: {intervals[key].seeds}" for key in judged.index if intervals[key].seeds < need]
    if few:
        why = f"too few seeds for an interval ({need} needed for each search; have {', '.join(few)}): {text}"
        return Part(name, "not_run", why, evidence, samples)
    decided = {key: decide(intervals[key], s["min_ratio"], None) for key in judged.index}
    status = _worst(decided.values())
    says = f"need ≥ {s['min_ratio']}× over the whole interval: {text}"
    if status == "inconclusive":
        says += "; " + "; ".join(
            f"{' '.join(key)}: {_seeds_needed(intervals[key], s['min_ratio'], None)}"
            for key, verdict in decided.items()
            if verdict == "inconclusive"
        )
    return Part(name, status, says, evidence, samples)


PREDICATES: dict[str, Callable[[Inputs], list[Part]]] = {
    "synthetic_m_active": synthetic_m_active,
    "wae_u_shape": wae_u_shape,
    "maae_flat_wae_worsens": maae_flat_wae_worsens,
    "table3_kde": table3_kde,
    "nac_maae_below_wae": nac_maae_below_wae,
    "table1_maae_beats_wae": table1_maae_beats_wae,
    "table1_maae_beats_wae_gan": table1_maae_beats_wae_gan,
    "mnist_m_active_band": mnist_m_active_band,
    "naive_search_cost": naive_search_cost,
}


def _fold(parts: list[Part]) -> tuple[str, str]:
    """A claim's status and why, from its parts."""
    by = {status: [p for p in parts if p.status == status] for status in STATUSES}

    def listed(status: str) -> str:
        return "; ".join(f"{p.dataset}: {p.reason}" for p in by[status])

    skipped = f" (not run on {', '.join(p.dataset for p in by['not_run'])})" if by["not_run"] else ""
    if by["fail"]:
        return "fail", f"fails on {listed('fail')}{skipped}"
    if by["inconclusive"]:
        return "inconclusive", f"inconclusive on {listed('inconclusive')}{skipped}"
    if by["pass"]:
        return "pass", f"holds on {listed('pass')}{skipped}"
    return "not_run", listed("not_run")


def _rule(inp: Inputs, claim: str) -> str:
    confidence = f"{round(inp.reference['statistics']['confidence'] * 100)}%"
    values = {"confidence": confidence, **inp.settings(claim)}
    values = {
        k: " and ".join(map(str, v)) if isinstance(v, list) else fmt.num(v) if isinstance(v, float) else v
        for k, v in values.items()
    }
    return " ".join(str(values["rule"]).split()).format_map(values)


def _gate(inp: Inputs, part: Part) -> Part:
    """A judgement made only on runs too short to say anything about the paper becomes not run."""
    steps = part.samples.get("steps")
    least = inp.reference["training_length"]["min_steps"]
    if part.status == "not_run" or not steps or max(steps) >= least:
        return part
    why = (
        f"scale too small: {max(steps)} training steps, fewer than the {least} needed to judge "
        f"(at this length the predicate says {part.status}: {part.reason})"
    )
    return Part(part.dataset, "not_run", why, part.evidence, part.samples)


def judge(inp: Inputs, claim: str) -> Verdict:
    s = inp.settings(claim)
    parts = [_gate(inp, part) for part in PREDICATES[claim](inp)]
    status, reason = _fold(parts)
    return Verdict(
        claim=claim,
        statement=" ".join(s["statement"].split()),
        where=s["where"],
        rule=_rule(inp, claim),
        why_fair=" ".join(s["why"].split()),
        status=status,
        reason=reason,
        scale=inp.scale,
        parts=tuple(parts),
    )


def judge_all(inp: Inputs) -> list[Verdict]:
    """Every claim on every run; where a scale added seeds at a later look (more_seeds ``look:``), each part
    that uses them carries what the earlier looks' runs alone said (Part.earlier): two looks at a claim make
    a wrong decision likelier than one, so a reader must see which verdicts took a second."""
    verdicts = [judge(inp, claim) for claim in PREDICATES]
    for look in range(inp.last_look - 1, 0, -1):
        earlier_inp = inp.up_to_look(look)
        before = [judge(earlier_inp, claim) for claim in PREDICATES]
        verdicts = [_beside(final, earlier, look) for final, earlier in zip(verdicts, before, strict=True)]
    return verdicts


def _beside(final: Verdict, earlier: Verdict, look: int) -> Verdict:
    """``final`` with each part that changed without the runs after ``look`` marked by what it said then."""
    then = {p.dataset: p for p in earlier.parts}
    parts = []
    for part in final.parts:
        old = then.get(part.dataset)
        if old is not None and _figures(old) != _figures(part):
            seen = {"look": look, "status": old.status, "reason": old.reason}
            part = dataclasses.replace(part, look=max(part.look, look + 1), earlier=(seen, *part.earlier))
        parts.append(part)
    return dataclasses.replace(final, parts=tuple(parts))


def _figures(part: Part) -> str:
    """A part's samples and evidence as one comparable text (NaN equals NaN here, unlike in a dict)."""
    return json.dumps([part.samples, part.evidence], sort_keys=True, default=str)
