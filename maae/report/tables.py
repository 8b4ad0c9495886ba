"""The paper's Tables 1-3 beside what the suite measured, from one results root (runs.csv, datasets.json).

Paper numbers come from paper_reference.yaml only. Suite cells are the mean over seeds with its 95%
bootstrap interval over seeds (maae.report.stats) and the seed count; a cell the suite could not fill says
why. Every table names, per data set, the metric and its backbone, steps, seeds, sample counts and code
versions behind its numbers. No difference between the suite and the paper is computed: where the metrics
differ it would be meaningless, and where they agree the sample counts and FID software may not.

    python -m maae.report.tables table1 --results results/smoke --out results/smoke/tables/table1
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from maae.kinds import MODEL_KINDS
from maae.report import fmt, reference, stats
from maae.report.aggregate import ResultsError, later_looks, read_results, table2_m, unavailable_reason
from maae.report.aggregate import capacity as capacity_of
from maae.report.tablefmt import CSV_COLUMNS, Table, write

MODELS = (("wae", "WAE"), ("maae", "MAAE"))
SUITE_LABELS = {
    "maae": "MAAE",
    "wae": "WAE (MAAE with the mask off)",
    "wae_gan": "WAE-GAN (Tolstikhin et al.'s settings)",
}
# The sample counts behind each runs.csv column a table shows.
COUNTS = {
    "score": ("n_generated", "n_real"), "kde": ("n_generated", "kde_n_fit"), "m_active": (),
    "nac": ("n_codes",), "nac_abs_corr": ("n_codes",),
}  # fmt: skip


def _seeds_note(ref: dict[str, Any]) -> str:
    s = ref["statistics"]
    return (
        f"Suite cells: mean over training seeds [its {round(s['confidence'] * 100)}% interval, "
        f"{s['method']}, {s['resamples']} resamples; none with one seed], then the seed count."
    )


class TableError(ValueError):
    """A problem with the inputs a user can fix: reported as one error line."""


def _paper_cell(value: Any, **where: Any) -> dict[str, Any]:
    if value is None:
        return {**where, "text": "not in the paper", "blank_reason": "not in the paper"}
    return {**where, "value": value, "text": str(value), "scale": "paper"}


def _blank(reason: str, **where: Any) -> dict[str, Any]:
    """A cell the suite could not fill; a missing data set's long reason (path, how to get it) is shown
    once under the table, so its cells say only that it is missing. The CSV keeps the whole reason."""
    text = "data set missing (see below)" if reason.startswith("data set missing:") else reason
    return {**where, "text": text, "blank_reason": reason}


def suite_cell(
    rows: pd.DataFrame, field: str, missing: str, bootstrap: dict[str, Any], **where: Any
) -> dict[str, Any]:
    """Mean of the runs.csv column ``field`` over ``rows`` with its interval over seeds (maae.report.stats,
    the reference's bootstrap settings; a seed with several runs counts once), and what produced it: the
    one computation behind every suite number of the tables and of the verdict report."""
    if rows.empty:
        return _blank(missing, **where)
    iv = stats.over_seeds(rows, field, **bootstrap)
    if iv is None:
        return _blank(f"{where['quantity']} not computed for any of the {len(rows)} runs", **where)
    used = rows.dropna(subset=[field])
    text = fmt.estimate(iv)
    if len(used) < len(rows):
        text = text.removesuffix(")") + f" of {len(rows)}; the others have no {where['quantity']})"
    provenance = {key: fmt.distinct(used[key]) for key in ("steps", "code_version", *COUNTS.get(field, ()))}
    return {
        **where, **provenance, "value": iv.estimate, "low": iv.low, "high": iv.high, "n_seeds": iv.seeds,
        "seeds": " ".join(str(s) for s in sorted(used["seed"].astype(int))), "text": text,
        "metric_backbone": fmt.distinct(used["metric_backbone"]) if field == "score" else "",
    }  # fmt: skip


def _select(runs: pd.DataFrame, dataset: str, model: str | None = None, m: int | None = None) -> pd.DataFrame:
    keep = runs["dataset"] == dataset
    if model is not None:
        keep &= runs["model"] == model
    if m is not None:
        keep &= runs["m"] == m
    return runs[keep]


def _provenance(
    runs: pd.DataFrame, manifest: dict[str, Any], dataset: str, empty: str, with_metric: bool = False
) -> str:
    """One caption line: what produced a data set's suite numbers (``runs``; ``empty`` says why none)."""
    blank = unavailable_reason(manifest, dataset)
    if blank:
        return f"{dataset}: no suite runs ({blank})"
    if runs.empty:
        return f"{dataset}: no suite runs ({empty})"
    parts = (
        [f"{fmt.distinct(runs['score_metric'])} ({fmt.distinct(runs['metric_backbone'])})"]
        if with_metric
        else []
    )
    parts += [
        f"m = {fmt.distinct(runs['m'])}",
        f"{fmt.distinct(runs['steps'])} steps",
        f"seeds {fmt.distinct(runs['seed'])} ({fmt.count(runs['seed'].nunique(), 'seeds')})",
        f"n_generated/n_real {fmt.distinct(runs['n_generated'])}/{fmt.distinct(runs['n_real'])}",
        f"n_codes {fmt.distinct(runs['n_codes'])}",
    ]
    if runs["kde_n_fit"].notna().any():
        parts.append(f"kde_n_fit {fmt.distinct(runs['kde_n_fit'])}")
    parts.append(f"code {fmt.distinct(runs['code_version'])}")
    return f"{dataset}: " + "; ".join(parts + _added_later(runs, manifest, dataset))


def _added_later(runs: pd.DataFrame, manifest: dict[str, Any], dataset: str) -> list[str]:
    """Which of ``runs`` a scale added at a later look, so that a cell a second look moved can be told."""
    planned = later_looks(manifest, dataset)
    added: dict[int, list[tuple[str, int, int]]] = {}
    for run in zip(runs["model"], runs["m"].astype(int), runs["seed"].astype(int), strict=True):
        if run in planned:
            added.setdefault(planned[run], []).append(run)
    return [
        f"seeds {fmt.distinct(s for *_, s in keys)} of {fmt.distinct(k[0] for k in keys)} at m = "
        f"{fmt.distinct(k[1] for k in keys)} added at look {look}, after a verdict was seen"
        for look, keys in sorted(added.items())
    ]


def _scale(manifest: dict[str, Any]) -> str:
    config = manifest.get("config")
    return f"suite scale: {manifest['scale']}" + (f" ({config})" if config else "")


def _at_capacity(runs: pd.DataFrame, manifest: dict[str, Any], dataset: str, model: str) -> pd.DataFrame:
    capacity = capacity_of(manifest, dataset)
    return _select(runs, dataset, model, capacity) if capacity is not None else runs.iloc[:0]


def _capacity_missing(manifest: dict[str, Any], dataset: str, model: str) -> str:
    """Why a data set the suite ran has no runs of ``model`` at its capacity."""
    capacity = capacity_of(manifest, dataset)
    if model not in manifest["datasets"].get(dataset, {}).get("models", []):
        return f"{model} not run"
    return "no capacity in datasets.json" if capacity is None else f"capacity m={capacity} not run"


def table1(runs: pd.DataFrame, manifest: dict[str, Any], ref: dict[str, Any], datasets: list[str]) -> Table:
    """FID: the paper's rows, then the suite's MAAE, WAE and WAE-GAN at each data set's capacity."""
    t1, scale = ref["table1"], manifest["scale"]
    paper_metric = t1["metric"]
    cells = []
    for row in t1["rows"]:
        source = f"cited in the paper from {row['cited_from']}" if row["cited_from"] else "paper"
        for dataset in datasets:
            where = {"row": (row["model"], source), "column": dataset, "dataset": dataset}
            where |= {"model": row["model"], "source": source, "quantity": paper_metric}
            cells.append(_paper_cell(row.get(dataset), **where))
    used, notes = [], {}
    for model, label in SUITE_LABELS.items():
        for dataset in datasets:
            source = f"suite ({scale} scale)"
            where = {"row": (label, source), "column": dataset, "dataset": dataset, "model": model}
            where |= {"source": source, "m": capacity_of(manifest, dataset)}
            blank = unavailable_reason(manifest, dataset)
            if blank:
                cells.append(_blank(blank, quantity=paper_metric, **where))
                continue
            rows = _at_capacity(runs, manifest, dataset, model)
            used.append(rows)
            metric = manifest["datasets"][dataset]["metric"]
            missing = _capacity_missing(manifest, dataset, model)
            cell = suite_cell(rows, "score", missing, stats.settings(ref), quantity=metric, **where)
            cell["comparable_with_paper"] = metric == paper_metric
            if metric != paper_metric and not cell.get("blank_reason"):
                cell["text"] = f"{metric} {cell['text']}"
                notes[metric] = (
                    f"Suite cells marked {metric} are {metric} ({cell['metric_backbone']}), not "
                    f"{paper_metric}: they are NOT comparable with the paper's {paper_metric} column."
                )
            cells.append(cell)
    frame = pd.concat(used) if used else runs.iloc[:0]
    return Table(
        name="table1",
        title=f"Table 1: {paper_metric} (lower is better), the paper's rows beside the suite's MAAE, WAE and "
        f"WAE-GAN at each data set's capacity m; {_scale(manifest)}",
        index=("model", "source"),
        cells=_frame(cells, "table1", scale),
        provenance=tuple(
            _provenance(_select(frame, d), manifest, d, _capacity_missing(manifest, d, "maae"), True)
            for d in datasets
        ),
        notes=(
            _seeds_note(ref),
            f"Paper: {t1['where']}.",
            f"Suite counterparts: {ref['suite_counterparts']['table1_note']}.",
            f"{paper_metric} depends on the sample counts (it rises as they fall) and on the network port: "
            "read the suite's counts in the lines above.",
            *notes.values(),
        ),
    )


def unsettled_note(rows: pd.DataFrame, ref: dict[str, Any]) -> str:
    """How many of a cell's masks had not settled (statistics.settled_fraction): their m_A is in the mean,
    as it is the run's final one, but the m_A claims leave them out, so the table says so."""
    moving = int((~stats.settled_runs(rows, ref["statistics"]["settled_fraction"])).sum())
    return f"; {moving} of {len(rows)} masks not settled" if moving else ""


def table2(runs: pd.DataFrame, manifest: dict[str, Any], ref: dict[str, Any], datasets: list[str]) -> Table:
    """m_A, NAC and |correlation| of encoded test codes beside the paper's, at the paper's m where the scale
    ran it, else at the capacity (aggregate.table2_m)."""
    paper_rows = {row["dataset"]: row for row in ref["table2"]["rows"]}
    scale, cells, used = manifest["scale"], [], []
    for dataset in datasets:
        paper = paper_rows.get(dataset, {})
        where = {"row": (dataset,), "dataset": dataset, "quantity": "m"}
        cells.append(_paper_cell(paper.get("m"), column="m (paper)", source="paper", **where))
        blank = unavailable_reason(manifest, dataset)
        suite = {**where, "column": f"m (suite, {scale})", "source": f"suite ({scale} scale)"}
        m = table2_m(manifest, dataset, paper.get("m"))
        cells.append(_blank(blank, **suite) if blank else {**suite, "value": m, "text": str(m)})
        for model, label in MODELS:
            rows = _select(runs, dataset, model, m) if m is not None else runs.iloc[:0]
            used.append(rows)
            for quantity, shown, in_paper in (
                ("m_active", "m_A", True), ("nac", "NAC", True), ("nac_abs_corr", "|corr|", False)
            ):  # fmt: skip
                where = {"row": (dataset,), "dataset": dataset, "model": model, "quantity": quantity}
                suite = {**where, "column": f"{label} {shown} (suite)", "source": f"suite ({scale} scale)"}
                suite["m"] = m
                if blank:
                    cells.append(_blank(blank, **suite))
                else:
                    missing = (
                        _capacity_missing(manifest, dataset, model)
                        if m == capacity_of(manifest, dataset)
                        else f"{model} at the paper's m={m} not run"
                    )
                    cell = suite_cell(rows, quantity, missing, stats.settings(ref), **suite)
                    if quantity == "m_active" and MODEL_KINDS[model].mask and not cell.get("blank_reason"):
                        cell["text"] += unsettled_note(rows, ref)
                    cells.append({**cell, "comparable_with_paper": in_paper})
                if in_paper:
                    value = paper.get(f"{model}_{quantity}")
                    paper_where = {**where, "column": f"{label} {shown} (paper)", "source": "paper"}
                    cells.append(_paper_cell(value, m=paper.get("m"), **paper_where))
    frame = pd.concat(used) if used else runs.iloc[:0]
    return Table(
        name="table2",
        title="Table 2: active dimensions m_A and NAC (normalised absolute covariance) of encoded test "
        "codes, MAAE over its active dimensions only, at the paper's m where the scale ran it, else at the "
        f"data set's capacity; {_scale(manifest)}",
        index=("dataset",),
        cells=_frame(cells, "table2", scale),
        provenance=tuple(
            _provenance(_select(frame, d), manifest, d, _capacity_missing(manifest, d, "maae"))
            for d in datasets
        ),
        notes=(
            _seeds_note(ref),
            f"Paper: {ref['table2']['where']}.",
            "|corr| (nac_abs_corr) is the mean off-diagonal |correlation| of the same codes; it is not the "
            "paper's number. The paper's NAC min-max normalises the covariance, so it cannot reach 1 even "
            "for perfectly correlated codes (and is 0 whatever the codes when m_A = 2); |corr| is 0 for "
            "independent and 1 for perfectly correlated codes.",
            "The suite's m is the paper's where the scale ran it, else the capacity of datasets.json; at a "
            "reduced scale it can differ from the paper's m, and m_A and NAC depend on it.",
        ),
    )


def table3(runs: pd.DataFrame, manifest: dict[str, Any], ref: dict[str, Any], datasets: list[str]) -> Table:
    """KDE log-likelihood against m: the suite's m beside the paper's (the union of both)."""
    t3, scale = ref["table3"], manifest["scale"]
    cells, used = [], []
    for dataset in datasets:
        paper_m = list(t3["m"]) if dataset == t3["dataset"] else []
        blank = unavailable_reason(manifest, dataset)
        suite_m = [int(m) for m in manifest["datasets"].get(dataset, {}).get("m", [])]  # asked for
        used.append(_select(runs, dataset))
        for m in sorted(set(paper_m) | set(suite_m)):
            for model, label in MODELS:
                where = {"row": (dataset, str(m)), "dataset": dataset, "model": model, "m": m}
                where["quantity"] = "kde"
                suite = {**where, "column": f"{label} (suite)", "source": f"suite ({scale} scale)"}
                if blank or m not in suite_m:
                    cells.append(_blank(blank or "not run at this scale", **suite))
                else:
                    rows = _select(runs, dataset, model, m)
                    kde = suite_cell(rows, "kde", f"{model} m={m} not run", stats.settings(ref), **suite)
                    cells.append({**kde, "comparable_with_paper": True})
                value = t3[model][paper_m.index(m)] if m in paper_m else None
                cells.append(_paper_cell(value, column=f"{label} (paper)", source="paper", **where))
    frame = pd.concat(used) if used else runs.iloc[:0]
    return Table(
        name="table3",
        title="Table 3: mean KDE log-likelihood of generated samples (higher is better; Gaussian KDE fitted "
        f"on the train split, bandwidth chosen on the validation split) against m; {_scale(manifest)}",
        index=("dataset", "m"),
        cells=_frame(cells, "table3", scale),
        provenance=tuple(_provenance(_select(frame, d), manifest, d, "not run") for d in datasets),
        notes=(
            _seeds_note(ref),
            f"Paper: {t3['where']}.",
            "n_generated/n_real above are the generated samples scored and the test rows of the Frechet "
            "distance; the KDE scores the same generated samples against kde_n_fit train rows.",
        ),
    )


def _frame(cells: list[dict[str, Any]], name: str, scale: str) -> pd.DataFrame:
    frame = pd.DataFrame(cells).reindex(columns=[*CSV_COLUMNS, "row"])
    frame["table"] = name
    frame.loc[frame["source"] == f"suite ({scale} scale)", "scale"] = scale
    return frame


BUILDERS: dict[str, tuple[Callable[..., Table], Callable[[dict[str, Any]], list[str]]]] = {
    "table1": (table1, lambda ref: list(ref["table1"]["datasets"])),
    "table2": (table2, lambda ref: [row["dataset"] for row in ref["table2"]["rows"]]),
    "table3": (table3, lambda ref: [ref["table3"]["dataset"]]),
}


def build(
    name: str,
    results: str | Path,
    datasets: Iterable[str] | None = None,
    runs_files: Iterable[str | Path] | None = None,
) -> Table:
    """Table ``name`` for one results root; ``datasets`` defaults to the paper's table's, ``runs_files``
    (per-data-set runs tables) to ``<results>/runs.csv``."""
    files = None if runs_files is None else [Path(f) for f in runs_files]
    manifest, runs = read_results(results, files)
    ref = reference.load()
    builder, defaults = BUILDERS[name]
    paper_datasets = defaults(ref)
    chosen = list(datasets) if datasets else paper_datasets
    for dataset in chosen:
        if dataset not in paper_datasets and dataset not in manifest["datasets"]:
            raise TableError(
                f"--datasets: {dataset} is neither in the paper's {name} ({', '.join(paper_datasets)}) "
                f"nor in {Path(results) / 'datasets.json'}"
            )
    return builder(runs, manifest, ref, chosen)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m maae.report.tables", description=__doc__.split("\n\n")[0])
    p.add_argument("table", choices=tuple(BUILDERS))
    p.add_argument("--results", required=True, type=Path, help="one scale's results root (runs.csv, ...)")
    p.add_argument("--out", required=True, help="output stem: writes STEM.csv, STEM.md and STEM.tex")
    p.add_argument("--datasets", nargs="+", help="data set keys (default: the paper's table's)")
    p.add_argument(
        "--runs", nargs="*", type=Path, help="per-data-set runs.csv files to read instead of RESULTS/runs.csv"
    )
    args = p.parse_args(argv)
    try:
        table = build(args.table, args.results, args.datasets, args.runs)
    except (TableError, ResultsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in write(table, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
