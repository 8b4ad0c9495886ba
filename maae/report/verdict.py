"""The verdict report: every paper number beside the suite's, then every claim of the paper with its verdict.

    python -m maae.report.verdict --results results/smoke --out results/smoke/report/verdict.md \\
        --json results/smoke/report/verdict.json --strict

Reads <results>/runs.csv, datasets.json and baselines/*.csv, and the paper's numbers and the claims'
tolerances from paper_reference.yaml. A suite number sits beside the paper's with a difference only when
both are the same quantity in the same metric (Inception FID is never set against the offline fd_lenet) at
the same m, except Table 1, whose m the paper does not state: the suite's is its capacity, and the row says
"not stated" for the paper's; every blank says why. ``--strict`` exits 1 when a claim has no verdict or a
cell is blank without a reason: what CI calls on the smoke report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from maae import io
from maae.report import fmt, stats, tables
from maae.report.aggregate import read_results
from maae.report.claims import (
    PREDICATES,
    SEARCH_COLUMNS,
    STATUSES,
    Inputs,
    Verdict,
    capacity,
    coverage,
    judge_all,
)
from maae.report.reference import PATH as REFERENCE
from maae.report.reference import load as load_reference
from maae.report.stats import Interval

REFERENCE_KEYS = (
    "table1", "table2", "table3", "figures", "runtimes", "suite_counterparts", "statistics",
    "training_length",
)  # fmt: skip
COUNT_NAMES = {"n_generated": "generated", "n_real": "real", "n_codes": "codes", "kde_n_fit": "KDE fit rows"}
HARDWARE = "the paper's time is on one GTX 1080 Ti at the paper's training length: not compared"


class VerdictError(ValueError):
    """A problem with the inputs a user can fix: one error line."""


# ---- inputs --------------------------------------------------------------------------------------------


def load_inputs(results: Path, reference: Path = REFERENCE, baselines: list[Path] | None = None) -> Inputs:
    """The results, the paper reference and the §8 baselines tables: ``baselines`` as given (the workflow
    passes those the scale asks for, so a stale table of an earlier scale file is never judged), else every
    <results>/baselines/*.csv."""
    manifest, runs = read_results(results)
    if not reference.is_file():
        raise VerdictError(f"paper reference {reference} not found")
    ref = load_reference(reference)
    absent = [key for key in REFERENCE_KEYS if key not in ref] + [
        f"claims.{claim}" for claim in PREDICATES if claim not in ref.get("claims", {})
    ]
    if absent:
        raise VerdictError(f"paper reference {reference} lacks {', '.join(absent)}")
    paths = sorted((results / "baselines").glob("*.csv")) if baselines is None else baselines
    tables = {}
    for path in paths:
        table = pd.read_csv(path)
        absent = [c for c in SEARCH_COLUMNS if c not in table.columns]
        if absent:
            raise VerdictError(f"{path} lacks the columns {', '.join(absent)}")
        tables[path.stem] = table
    return Inputs(runs, manifest, ref, tables)


# ---- the paper's numbers beside the suite's -----------------------------------------------------------


def _from_cell(cell: dict[str, Any], metric: str, counts: tuple[str, ...]) -> tuple[dict | None, str]:
    """A suite number of the report from a table cell (maae.report.tables.suite_cell): the same value,
    interval and seeds the tables show, or None and why the cell is blank."""
    if cell.get("blank_reason"):
        return None, cell["blank_reason"]
    seeds, n_seeds = [int(s) for s in str(cell["seeds"]).split()], int(cell["n_seeds"])
    samples = [f"{fmt.count(n_seeds, 'seeds')} ({fmt.span(seeds)}){cell.get('over', '')}"]
    samples += [f"{cell['steps']} steps", *(f"{cell[c]} {COUNT_NAMES[c]}" for c in counts)]
    suite = {
        "m_suite": fmt.value(cell.get("m")),
        "suite": cell["value"],
        "suite_low": cell.get("low"),  # one seed: no interval
        "suite_high": cell.get("high"),
        "seeds": n_seeds,
        "suite_metric": metric,
        "samples": "; ".join(samples),
    }
    return suite, ""


def _table_cell(cells: pd.DataFrame, **where: Any) -> dict[str, Any]:
    """The one suite cell of a table at ``where`` (dataset, model, quantity, m)."""
    keep = cells["source"].str.startswith("suite")
    for key, value in where.items():
        keep &= cells[key] == value
    (found,) = cells[keep].to_dict("records")
    return {k: v for k, v in found.items() if not (isinstance(v, float) and pd.isna(v))}


def _suite(
    inp: Inputs,
    dataset: str,
    model: str,
    m: int | None,
    column: str,
    counts: tuple[str, ...],
    scale: float = 1.0,
    unit: str | None = None,
) -> tuple[dict | None, str]:
    """The suite's statistics for a number no table shows (Figure 5, run times): ``column`` times ``scale``
    in ``unit``, by the tables' one cell computation; or None and why not."""
    missing = coverage(inp, dataset)
    if missing:
        return None, missing.reason
    runs = inp.select(dataset, model)
    if m is not None:
        runs = runs[runs["m"] == m]
    runs = runs.dropna(subset=[column]).assign(**{column: lambda f: f[column] * scale})
    if runs.empty:
        grid = fmt.span(inp.select(dataset, model)["m"])
        at = f" at m = {m}" if m is not None else ""
        return None, f"no {model} run with {column}{at} in the {inp.scale} scale (its m: {grid})"
    where = {"quantity": column, "m": fmt.span(runs["m"])}
    if runs["m"].nunique() > 1:
        where["over"] = f" over runs at m = {fmt.span(runs['m'])}"
    cell = tables.suite_cell(runs, column, "", inp.bootstrap, **where)
    return _from_cell(cell, unit or column, counts)


def _row(
    source: str,
    dataset: str,
    label: str,
    quantity: str,
    paper: Any,
    paper_metric: str,
    m_paper: Any,
    suite: dict | None,
    why_no_suite: str,
    barrier: str | None,
    note: str = "",
) -> dict[str, Any]:
    """One line of the numbers section; ``barrier`` says why the two may not be subtracted (None: may)."""
    row = {
        "source": source,
        "dataset": dataset,
        "row": label,
        "quantity": quantity,
        "paper": paper,
        "paper_metric": paper_metric,
        "m_paper": fmt.value(m_paper),
        "m_suite": "—",
        "suite": None,
        "suite_low": None,
        "suite_high": None,
        "seeds": 0,
        "suite_metric": "",
        "samples": "",
        "why_no_suite": why_no_suite,
        "difference": None,
        "why_no_difference": "",
        "note": note,
    }
    if suite is None:
        row["why_no_difference"] = "no suite value"
        return row
    row.update(suite)
    if paper is None:
        row["why_no_difference"] = "no paper value"
    elif barrier:
        row["why_no_difference"] = barrier
    else:
        row["difference"] = row["suite"] - paper
    return row


def table1_rows(inp: Inputs) -> list[dict[str, Any]]:
    t1 = inp.reference["table1"]
    counterparts = inp.reference["suite_counterparts"]
    cells = tables.table1(inp.runs, inp.manifest, inp.reference, list(t1["datasets"])).cells
    rows = []
    for dataset in t1["datasets"]:
        for paper in t1["rows"]:
            label, model = paper["model"], counterparts["table1"].get(paper["model"])
            cited = f" (cited from {paper['cited_from']})" if paper["cited_from"] else ""
            if model is None:
                suite, why = None, f"the suite does not train this model{cited}"
            else:
                cell = _table_cell(cells, dataset=dataset, model=model)
                suite, why = _from_cell(cell, cell["quantity"], ("n_generated", "n_real"))
            barrier = None
            if suite is not None and suite["suite_metric"] != t1["metric"]:
                barrier = (
                    f"suite metric {suite['suite_metric']} is not the paper's {t1['metric']}: not compared"
                )
            note = counterparts["table1_note"] if model == "wae_gan" else ""
            rows.append(
                _row(
                    "Table 1",
                    dataset,
                    label,
                    "score",
                    paper[dataset],
                    t1["metric"],
                    "not stated",
                    suite,
                    why,
                    barrier,
                    note,
                )
            )
    return rows


def table2_rows(inp: Inputs) -> list[dict[str, Any]]:
    """At the paper's m where the scale ran it, else at the capacity, not compared (aggregate.table2_m)."""
    t2 = inp.reference["table2"]
    datasets = [paper["dataset"] for paper in t2["rows"]]
    cells = tables.table2(inp.runs, inp.manifest, inp.reference, datasets).cells
    rows = []
    for paper in t2["rows"]:
        for model in ("wae", "maae"):
            for column, counts in (("m_active", ()), ("nac", ("n_codes",))):
                cell = _table_cell(cells, dataset=paper["dataset"], model=model, quantity=column)
                suite, why = _from_cell(cell, column, counts)
                barrier = None
                if suite is not None and cell.get("m") != paper["m"]:
                    at = fmt.value(cell.get("m"))
                    barrier = f"suite at m = {at}, paper at m = {paper['m']}: not compared"
                rows.append(
                    _row(
                        "Table 2",
                        paper["dataset"],
                        model.upper(),
                        column,
                        paper[f"{model}_{column}"],
                        column,
                        paper["m"],
                        suite,
                        why,
                        barrier,
                    )
                )
    return rows


def table3_rows(inp: Inputs) -> list[dict[str, Any]]:
    t3 = inp.reference["table3"]
    cells = tables.table3(inp.runs, inp.manifest, inp.reference, [t3["dataset"]]).cells
    rows = []
    for model in ("wae", "maae"):
        for m, value in zip(t3["m"], t3[model], strict=True):
            cell = _table_cell(cells, dataset=t3["dataset"], model=model, m=m)
            suite, why = _from_cell(cell, "kde", ("n_generated", "kde_n_fit"))
            rows.append(
                _row("Table 3", t3["dataset"], model.upper(), "kde", value, "kde", m, suite, why, None)
            )
    return rows


def figure5_rows(inp: Inputs) -> list[dict[str, Any]]:
    fig5 = inp.reference["figures"]["fig5"]
    rows = []
    for m, value in zip(fig5["m"], fig5["m_active"], strict=True):
        suite, why = _suite(inp, "mnist", "maae", m, "m_active", ())
        rows.append(_row("Figure 5", "mnist", "MAAE", "m_active", value, "m_active", m, suite, why, None))
    return rows


def runtime_rows(inp: Inputs) -> list[dict[str, Any]]:
    rt = inp.reference["runtimes"]
    naive = rt["naive_search"]
    lo, hi = naive["range"]
    rows = []
    for model, key, m in (("wae", "wae_minutes", None), ("maae", "maae_minutes", hi)):
        label = f"one {model.upper()} run" + (f" at m = {hi}" if m else f", m in [{lo}, {hi}]")
        suite, why = _suite(inp, "mnist", model, m, "train_seconds", (), 1 / 60, "minutes")
        if suite is None and m is not None:  # the scale's largest MNIST m stands in for the paper's m = 100
            largest = _largest_m(inp, "mnist")
            suite, why = _suite(inp, "mnist", model, largest, "train_seconds", (), 1 / 60, "minutes")
        rows.append(
            _row(
                "§8",
                "mnist",
                label,
                "train time",
                naive[key],
                "minutes",
                m or f"{lo}–{hi}",
                suite,
                why,
                HARDWARE,
            )
        )
    for method, key in (("linear", "linear_search_models"), ("ternary", "ternary_search_models")):
        suite, why, barrier = _search_models(inp, method, (lo, hi))
        rows.append(
            _row(
                "§8",
                "mnist",
                f"{method} search",
                "models trained",
                naive[key],
                "models",
                f"{lo}–{hi}",
                suite,
                why,
                barrier,
            )
        )
    for dataset, hours in rt["training_hours"].items():
        m = capacity(inp, dataset)
        suite, why = _suite(inp, dataset, "maae", m, "train_seconds", (), 1 / 3600, "hours")
        rows.append(
            _row(
                "§10.5",
                dataset,
                "one MAAE run",
                "train time",
                hours,
                "hours",
                "not stated",
                suite,
                why,
                HARDWARE,
            )
        )
    return rows


def _largest_m(inp: Inputs, dataset: str) -> int | None:
    ms = inp.runs.loc[inp.runs["dataset"] == dataset, "m"]
    return None if ms.empty else int(ms.max())


def _search_models(
    inp: Inputs, method: str, paper_range: tuple[int, int]
) -> tuple[dict | None, str, str | None]:
    """Models the suite's MNIST search trained, over its seeds; compared only over the paper's range."""
    table = inp.baselines.get("mnist")
    if table is None:
        return None, f"no MNIST baselines table in the {inp.scale} scale", None
    rows = table[(table["method"] == method) & (table["models_trained"] > 0)]
    if rows.empty:
        return None, f"the MNIST baselines table has no {method} search row", None
    searched = f"{fmt.span(rows['range_lo'])}–{fmt.span(rows['range_hi'])}"
    iv = stats.over_seeds(rows, "models_trained", **inp.bootstrap)
    suite = {
        "m_suite": searched,
        "suite": iv.estimate,
        "suite_low": iv.low,
        "suite_high": iv.high,
        "seeds": iv.seeds,
        "suite_metric": "models",
        "samples": f"{fmt.count(iv.seeds, 'seeds')} ({fmt.span(rows['seed'])}); "
        f"mode {_span_text(rows['mode'])}",
    }
    same = set(zip(rows["range_lo"], rows["range_hi"], strict=True)) == {tuple(paper_range)}
    return (
        suite,
        "",
        None if same else f"searched m in {searched}, the paper in {list(paper_range)}: not compared",
    )


def numbers(inp: Inputs) -> list[dict[str, Any]]:
    return [*table1_rows(inp), *table2_rows(inp), *table3_rows(inp), *figure5_rows(inp), *runtime_rows(inp)]


# ---- header, problems, rendering ---------------------------------------------------------------------


def header(inp: Inputs, results: Path) -> dict[str, Any]:
    runs = inp.runs
    datasets = []
    for name, info in inp.manifest["datasets"].items():
        mine = runs[runs["dataset"] == name]
        counts = "; ".join(
            f"{fmt.span(mine[c])} {label}" for c, label in COUNT_NAMES.items() if mine[c].notna().any()
        )
        datasets.append(
            {
                "dataset": name,
                "status": info["status"],
                "reason": info.get("reason") or "",
                "models": ", ".join(info["models"]),
                "m": ", ".join(map(str, info["m"])),
                "capacity": fmt.value(info.get("capacity")),
                "seeds": ", ".join(map(str, info["seeds"])),
                "steps": info.get("steps"),
                "metric": info.get("metric"),
                "runs": len(mine),
                "sample counts": counts,
            }
        )
    return {
        "scale": inp.scale,
        "config": inp.manifest.get("config"),
        "results": str(results),
        "manifest code version": inp.manifest.get("code_version") or "not recorded",
        "code versions of the runs": _span_text(runs["code_version"]),
        "torch": _span_text(runs["torch_version"]),
        "devices": _span_text(runs["device"]),
        "baselines tables": ", ".join(sorted(inp.baselines)) or "none",
        "datasets": datasets,
    }


def _span_text(values: pd.Series) -> str:
    return ", ".join(sorted(str(v) for v in pd.unique(values.dropna()))) or "none recorded"


def problems(rows: list[dict[str, Any]], verdicts: list[Verdict], reference: dict[str, Any]) -> list[str]:
    """Every claim without a verdict and every blank cell without a reason (what --strict refuses)."""
    found = []
    judged = {v.claim for v in verdicts}
    found += [f"claim {claim} has no verdict" for claim in reference["claims"] if claim not in judged]
    for v in verdicts:
        if v.status not in STATUSES or not v.reason:
            found.append(f"claim {v.claim}: status {v.status!r} without a reason")
    for r in rows:
        where = f"{r['source']} {r['dataset']} {r['row']} {r['quantity']}"
        if r["suite"] is None and not r["why_no_suite"]:
            found.append(f"{where}: suite cell blank without a reason")
        if r["difference"] is None and not r["why_no_difference"]:
            found.append(f"{where}: difference blank without a reason")
    return found


def _md_cell(x: Any) -> str:
    return fmt.value(x).replace("|", "\\|").replace("\n", " ")


def _md_items(items: dict[str, Any], depth: int = 0) -> list[str]:
    """Evidence as a bullet list, a nested mapping (e.g. a claim's checks) as nested bullets, an interval on
    one line."""
    out = []
    for key, val in items.items():
        if isinstance(val, dict) and val and not fmt.INTERVAL_KEYS <= val.keys():
            out += [f"{'  ' * depth}- {key}:", *_md_items(val, depth + 1)]
        else:
            out.append(f"{'  ' * depth}- {key}: {_md_cell(val)}")
    return out


def _md_table(records: list[dict[str, Any]]) -> list[str]:
    if not records:
        return ["(no rows)"]
    columns = list(dict.fromkeys(k for r in records for k in r))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_md_cell(r.get(c)) for c in columns) + " |" for r in records]
    return lines


def _suite_text(r: dict[str, Any]) -> str:
    if r["suite"] is None:
        return "—"
    iv = Interval(r["suite"], r["suite_low"], r["suite_high"], r["seeds"], 0.0, "", 0)
    return fmt.estimate(iv, r["suite_metric"])


def _number_record(r: dict[str, Any]) -> dict[str, Any]:
    why_no_difference = r["why_no_difference"] if r["suite"] is not None else ""
    note = "; ".join(t for t in (r["why_no_suite"], why_no_difference, r["note"]) if t)
    return {
        "data set": r["dataset"],
        "row": r["row"],
        "m (paper / suite)": f"{r['m_paper']} / {r['m_suite']}",
        "paper": f"{fmt.value(r['paper'])} ({r['paper_metric']})",
        "suite": _suite_text(r),
        "samples": r["samples"],
        "suite − paper": fmt.value(r["difference"]),
        "why blank / note": note,
    }


SOURCES = {
    "Table 1": "table1",
    "Table 2": "table2",
    "Table 3": "table3",
    "Figure 5": None,
    "§8": "runtimes",
    "§10.5": "runtimes",
}


def render_markdown(rep: dict[str, Any]) -> str:
    """The report as Markdown (its section of ``snakemake --report``); ``rep`` is what ``report`` returns."""
    head, rows, verdicts, ref = rep["header"], rep["numbers"], rep["claims"], rep["reference"]
    out = [f"# The paper checked: {head['scale']} scale", ""]
    if rep["problems"]:
        out += ["**Problems (`--strict` fails on these):**", "", *[f"- {p}" for p in rep["problems"]], ""]
    out += [f"- {k}: {v}" for k, v in head.items() if k != "datasets"]
    out += ["", "Data sets (from datasets.json and runs.csv):", "", *_md_table(head["datasets"]), ""]
    out += ["## The paper's numbers beside the suite's", ""]
    out += [
        f"Suite values: mean over training seeds of the {head['scale']} scale [its interval over seeds, "
        "as for the claims below], with the metric, m, seeds, steps and sample counts they came from. "
        "`suite − paper` is given only for the same quantity in the same metric at the same m; FID rises "
        "as sample counts fall: read it beside the counts.",
        "",
    ]
    for source, key in SOURCES.items():
        mine = [r for r in rows if r["source"] == source]
        where = ref[key]["where"] if key else ref["figures"]["fig5"]["where"]
        out += [
            f"### {source}",
            "",
            f"Paper: {where}.",
            "",
            *_md_table([_number_record(r) for r in mine]),
            "",
        ]
    out += _studies_section(rep["studies"], head["results"])
    stats, length = ref["statistics"], ref["training_length"]
    later = any(p.earlier for v in verdicts for p in v.parts)
    looks_note = [
        "- looks: seeds under a `more_seeds` entry with a later `look` were added after an earlier "
        "verdict had been seen (the extension written down before its runs). Two looks at one claim "
        f"make a wrong decision likelier than the {1 - stats['confidence']:.0%} one look at a "
        f"{stats['confidence']:.0%} interval allows, so each part that uses such seeds names its look "
        "and what the earlier runs alone said."
    ]
    out += ["## Claims", ""]
    out += [
        "Each claim is judged per data set: fail if any data set fails, else inconclusive if any is, else "
        "pass if any passes, else not run; every verdict says why, and the figures behind it follow.",
        "",
        f"- intervals: {round(stats['confidence'] * 100)}% {stats['method']}, {stats['resamples']} "
        f"resamples, random state {stats['random_state']}, at least {stats['min_seeds']} seeds; a claim "
        f"about the final mask uses a run only if its m_A stayed unchanged over the last "
        f"{stats['settled_fraction']:.0%} of training. {' '.join(stats['why'].split())}",
        f"- training length: at least {length['min_steps']} steps. {' '.join(length['why'].split())}",
        *(looks_note if later else []),
        "",
    ]
    summary = [
        {"claim": v.claim, "where": v.where, "verdict": v.status.replace("_", " "), "why": v.reason}
        | ({"later looks": _looks_text(v)} if later else {})
        for v in verdicts
    ]
    out += [*_md_table(summary), ""]
    for v in verdicts:
        out += [f"### {v.claim}: {v.status.replace('_', ' ')}", ""]
        out += [
            f"- paper ({v.where}): {v.statement}",
            f"- tolerance: {v.rule}",
            f"- why it is fair: {v.why_fair}",
        ]
        out += [f"- verdict: **{v.status.replace('_', ' ')}** ({v.scale} scale): {v.reason}", ""]
        for p in v.parts:
            look = f" (look {p.look})" if p.earlier else ""
            out += [f"#### {p.dataset}: {p.status.replace('_', ' ')}{look}", "", p.reason, ""]
            out += [
                f"At look {e['look']}, without the seeds added after it: {e['status'].replace('_', ' ')}: "
                f"{e['reason']}"
                for e in p.earlier
            ]
            out += [""] if p.earlier else []
            if p.samples:
                out += ["samples: " + "; ".join(f"{k} {_md_cell(val)}" for k, val in p.samples.items()), ""]
            scalars = {k: val for k, val in p.evidence.items() if k != "table"}
            out += _md_items(scalars)
            out += [""] if scalars else []
            if "table" in p.evidence:
                out += [*_md_table(p.evidence["table"]), ""]
    return "\n".join(out) + "\n"


def _looks_text(v: Verdict) -> str:
    """Which of a claim's parts rest on seeds of a later look, and what the earlier looks said there."""
    return "; ".join(
        f"{p.dataset}: look {p.look} ("
        + ", ".join(f"look {e['look']}: {e['status'].replace('_', ' ')}" for e in p.earlier)
        + ")"
        for p in v.parts
        if p.earlier
    )


def _studies_section(studies: list[str], results: str) -> list[str]:
    """Where each of the scale's studies is judged: its own target and page, not this report (a study takes
    about as long as the grid, so `all` leaves it out and this report cannot wait for it)."""
    if not studies:
        return []
    out = ["## Studies", ""]
    for name in studies:
        page = Path(results) / "studies" / name / "verdict.md"
        out.append(
            f"- `{name}`: judged on its own page, `{page}`, made by `snakemake {name}` (its criterion is "
            "pre-registered in the paper reference, `sensitivity`)."
        )
    return [*out, ""]


def report(results: Path, reference: Path = REFERENCE, baselines: list[Path] | None = None) -> dict[str, Any]:
    inp = load_inputs(results, reference, baselines)
    rows = numbers(inp)
    verdicts = judge_all(inp)
    return {
        "header": header(inp, results),
        "numbers": rows,
        "claims": verdicts,
        "problems": problems(rows, verdicts, inp.reference),
        "reference": inp.reference,
        "studies": list(inp.manifest.get("studies", [])),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m maae.report.verdict", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--results", type=Path, required=True, help="one scale's results root")
    parser.add_argument("--out", type=Path, required=True, help="the Markdown report to write")
    parser.add_argument("--json", type=Path, help="also write the same content as JSON")
    parser.add_argument(
        "--reference", type=Path, default=REFERENCE, help="paper reference (default: the suite's)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 if a claim or a cell lacks a verdict/reason"
    )
    parser.add_argument(
        "--baselines",
        type=Path,
        nargs="*",
        help="the §8 baselines tables to judge (default: every <results>/baselines/*.csv)",
    )
    args = parser.parse_args(argv)
    try:
        rep = report(args.results, args.reference, args.baselines)
    except (VerdictError, ValueError, yaml.YAMLError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    io.write_text(args.out, render_markdown(rep))
    if args.json:
        payload = {k: rep[k] for k in ("header", "numbers", "problems")}
        payload["claims"] = [v.to_dict() for v in rep["claims"]]
        io.write_json(args.json, payload)
    counts = {s: sum(v.status == s for v in rep["claims"]) for s in STATUSES}
    print(f"{args.out}: {len(rep['claims'])} claims: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    for problem in rep["problems"]:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if args.strict and rep["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
