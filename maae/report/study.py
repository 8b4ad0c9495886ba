"""A sensitivity study's results: the tidy table, the share of runs that find n per cell, per-axis verdicts.

``table`` reads every run of a study (maae.studies) into rows shaped like runs.csv (maae.report.aggregate)
plus the study's coordinates (setting, axis, value, n) and the outcome the study is about: m_A − n, whether
the mask settled, whether the run found n. ``cells`` gives per setting and n the share of runs that found n
with its exact interval, the Fréchet distance on raw data and the WAE's at the same m where the study runs
it. ``verdicts`` judges each axis by the pre-registered rule (paper_reference.yaml, ``sensitivity``), and
``render`` writes it all as the study's section of the verdict report.

    python -m maae.report.study table --results results/cpu --study sensitivity
    python -m maae.report.study figures --results results/cpu --study sensitivity
    python -m maae.report.study verdict --results results/cpu --study sensitivity
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from maae import io, studies
from maae.report import fmt, stats
from maae.report.aggregate import run_row
from maae.report.plots import study as plots
from maae.report.plots.common import save
from maae.report.reference import load as load_reference

STUDY_COLUMNS = ("study", "setting", "axis", "value", "variant", "offset", "settled", "found")


class StudyError(ValueError):
    """A study's runs or scale file cannot be read: one line naming what."""


def load_scale(results: Path) -> dict[str, Any]:
    """The resolved scale the workflow wrote beside its results (config.yaml, rule manifest)."""
    path = results / "config.yaml"
    if not path.is_file():
        raise StudyError(f"{path} is missing: run the workflow's manifest first (any target writes it)")
    return yaml.safe_load(path.read_text())


def finds_n(
    m_active: int, n: int, since: float | None, steps: int, reference: dict[str, Any]
) -> tuple[bool, bool]:
    """Whether a run's mask settled and whether it found n, by the pre-registered rule (``sensitivity``): a
    mask still moving has found nothing yet."""
    settled = stats.settled(since, steps, reference["statistics"]["settled_fraction"])
    return settled, settled and abs(m_active - n) <= reference["sensitivity"]["found_within"]


def table(results: Path, cfg: dict[str, Any], name: str, reference: dict[str, Any]) -> pd.DataFrame:
    """One row per run of the study, every run the scale plans (a missing one is an error, not a gap)."""
    if name not in cfg.get("studies", {}):
        raise StudyError(
            f"no study {name!r} in {results / 'config.yaml'} (studies: {', '.join(cfg.get('studies', {}))})"
        )
    study = cfg["studies"][name]
    by_name = {s.name: s for s in studies.settings(study)}
    rows = []
    for run in studies.runs(cfg, name):
        folder = run.folder(results)
        try:
            row = run_row(results, folder, cfg["scale"], run.dataset, "fd_raw")
        except (OSError, ValueError) as err:
            raise StudyError(f"{folder}: not a finished, scored run ({err})") from None
        s = by_name[run.setting]
        settled, found = finds_n(
            int(row["m_active"]), run.n, row["m_active_since"], int(row["steps"]), reference
        )
        row |= {
            "study": name,
            "setting": run.setting,
            "axis": s.axis,
            "value": None if s.axis is None else studies.label(s.value),
            "variant": run.variant,
            "offset": int(row["m_active"]) - run.n,
            "settled": settled,
            "found": found,
        }
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame[[*STUDY_COLUMNS, *(c for c in frame.columns if c not in STUDY_COLUMNS)]]


def cells(runs: pd.DataFrame, reference: dict[str, Any]) -> pd.DataFrame:
    """Per setting and n (the study's model, MAAE): runs, found, share with its exact interval, settled
    runs, mean m_A − n, mean Fréchet distance, and the yardstick's (WAE at the same m, base setting)."""
    confidence = reference["sensitivity"]["confidence"]
    masked = runs[runs["model"] != "wae"]
    wae = runs[runs["model"] == "wae"].groupby("n")["fd_raw"].mean()
    out = []
    for (setting, n), at in masked.groupby(["setting", "n"], sort=False):
        share = stats.proportion(int(at["found"].sum()), len(at), confidence)
        out.append(
            {
                "setting": setting,
                "axis": at["axis"].iloc[0],
                "value": at["value"].iloc[0],
                "n": int(n),
                "m": int(at["m"].iloc[0]),
                "runs": len(at),
                "found": int(at["found"].sum()),
                "share": share.estimate,
                "share_low": share.low,
                "share_high": share.high,
                "settled": int(at["settled"].sum()),
                "offset_mean": float(at["offset"].mean()),
                "m_active": ", ".join(str(int(v)) for v in at.sort_values("seed")["m_active"]),
                "fd_raw": float(at["fd_raw"].mean()),
                "wae_fd_raw": float(wae.get(n, math.nan)),
                "seeds": fmt.distinct(at["seed"]),
                "steps": int(at["steps"].iloc[0]),
            }
        )
    return pd.DataFrame(out)


def _resolved(cfg: dict[str, Any], name: str, setting: str, key: str) -> Any:
    """The value a setting's runs train with for a dotted key (as the first n's run resolves it)."""
    study = cfg["studies"][name]
    run = studies.run_config(cfg, name, setting, study["n"][0], study["models"][0], 0)
    section, option = key.split(".", 1)
    return getattr(getattr(run, section), option)


def verdicts(cfg: dict[str, Any], name: str, runs: pd.DataFrame, reference: dict[str, Any]) -> list[dict]:
    """Each axis judged by the pre-registered rule: its judged values' pooled shares and the verdict."""
    rule = reference["sensitivity"]
    study = cfg["studies"][name]
    masked = runs[runs["model"] != "wae"]
    out = []
    for axis, spec in study["axes"].items():
        base = _resolved(cfg, name, studies.BASE, spec["key"])
        values = [(studies.BASE, "base", base)]
        values += [
            (s.name, studies.label(s.value), _resolved(cfg, name, s.name, spec["key"]))
            for s in studies.settings(study)
            if s.axis == axis
        ]
        rows = []
        for setting, shown, resolved in values:
            at = masked[masked["setting"] == setting]
            share = stats.proportion(int(at["found"].sum()), len(at), rule["confidence"])
            if not studies.positive_number(base):
                judged = True
            else:
                judged = (
                    studies.positive_number(resolved)
                    and max(resolved / base, base / resolved) <= rule["factor"]
                )
            rows.append(
                {"setting": setting, "value": shown, "resolved": resolved, "share": share, "judged": judged}
            )
        judged = [r for r in rows if r["judged"]]
        below = [r for r in judged if r["share"].estimate < rule["share"]]
        if not below:
            verdict, decide = "robust", None
        elif any(r["share"].high < rule["share"] for r in below):
            verdict, decide = "sensitive", None
        else:
            verdict = "inconclusive"
            decide = max((stats.runs_to_decide(r["share"], rule["share"]) or math.inf) for r in below)
        out.append(
            {"axis": axis, "key": spec["key"], "values": rows, "verdict": verdict, "runs_to_decide": decide}
        )
    return out


def _share_text(share: stats.Interval) -> str:
    return (
        f"{round(share.estimate * share.seeds)}/{share.seeds} "
        f"({fmt.num(share.estimate)} [{fmt.num(share.low)}, {fmt.num(share.high)}])"
    )


def render(cfg: dict[str, Any], name: str, runs: pd.DataFrame, reference: dict[str, Any]) -> str:
    """The study's section of the verdict report: how it was run, the rule, each axis, the named settings."""
    rule = reference["sensitivity"]
    study = cfg["studies"][name]
    table_cells = cells(runs, reference)
    text = rule["rule"].format(**(rule | {"confidence": f"{round(rule['confidence'] * 100)}%"}))
    lines = [
        f"# Study `{name}` ({cfg['scale']} scale)",
        "",
        _how_run(study, runs),
        "",
        *(
            [
                f"**Question** (from the scale file): {' '.join(study['question'].split())}",
                "",
            ]
            if study.get("question")
            else []
        ),
        f"Base setting: {fmt.value(study['base']) or 'maae defaults'}.",
        "",
        f"**Rule** (paper_reference.yaml, written before the run): {text}",
        "",
        "## Along each axis",
        "",
    ]
    along = verdicts(cfg, name, runs, reference)
    if along:
        lines += [
            "| axis | key | value | share of runs finding n [interval] | judged | verdict |",
            "|---|---|---|---|---|---|",
        ]
    else:
        lines.append("None: this study varies no setting one at a time; its settings follow.")
    for v in along:
        decide = ""
        if v["verdict"] == "inconclusive":
            n = v["runs_to_decide"]
            decide = (
                f" (about {n} runs per value would decide)" if n != math.inf else " (over 200 runs per value)"
            )
        for i, r in enumerate(v["values"]):
            first = i == 0
            cells_ = [
                v["axis"] if first else "",
                v["key"] if first else "",
                f"{r['value']} ({fmt.value(r['resolved'])})",
                _share_text(r["share"]),
                "yes" if r["judged"] else "no",
                v["verdict"] + decide if first else "",
            ]
            lines.append("| " + " | ".join(cells_) + " |")
    lines += ["", "## Named settings: do they find n?", ""]
    named = [studies.BASE, *study["settings"]]
    for setting in named:
        at = table_cells[table_cells["setting"] == setting]
        parts = [
            f"n = {c.n}: {c.found}/{c.runs} (m_A {c.m_active}; FD {fmt.num(c.fd_raw)}"
            + (
                f", WAE {fmt.num(c.wae_fd_raw)}"
                if setting == studies.BASE and not math.isnan(c.wae_fd_raw)
                else ""
            )
            + ")"
            for c in at.itertuples()
        ]
        total = int(at["found"].sum()), int(at["runs"].sum())
        answer = (
            "finds n"
            if total[0] == total[1]
            else ("does not find n" if total[0] == 0 else "finds n in some runs")
        )
        lines.append(f"- **{setting}** {answer}: {total[0]} of {total[1]} runs; " + "; ".join(parts) + ".")
    lines += ["", "## Every cell (setting × n)", "", *_cells_markdown(table_cells)]
    return "\n".join(lines) + "\n"


def _how_run(study: dict[str, Any], runs: pd.DataFrame) -> str:
    yardstick = f" (yardstick {', '.join(study['yardstick'])} at the base)" if study["yardstick"] else ""
    return (
        f"Synthetic-n for n = {', '.join(map(str, study['n']))} at m = {study['m_per_n']:g}·n; models "
        f"{', '.join(study['models'])}{yardstick}; seeds {', '.join(map(str, study['seeds']))}; "
        f"{study['steps']:,} iterations unless an axis sets them; {fmt.count(len(runs), 'runs')}; Fréchet "
        f"distance on raw data over {fmt.distinct(runs['n_generated'])} generated and "
        f"{fmt.distinct(runs['n_real'])} test points; code {fmt.distinct(runs['code_version'])}."
    )


def _cells_markdown(frame: pd.DataFrame) -> list[str]:
    cols = [
        "setting",
        "n",
        "m",
        "found",
        "runs",
        "share",
        "share_low",
        "share_high",
        "settled",
        "m_active",
        "fd_raw",
        "steps",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt.value(getattr(r, c)) for c in cols) + " |" for r in frame.itertuples()]
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="A sensitivity study's table, cells and verdict section.")
    p.add_argument("what", choices=["table", "figures", "verdict"])
    p.add_argument("--results", type=Path, required=True, help="results root (results/<scale>)")
    p.add_argument("--study", required=True)
    p.add_argument("--out", type=Path, help="output folder (default RESULTS/studies/STUDY)")
    args = p.parse_args(argv)
    out = args.out or args.results / "studies" / args.study
    try:
        cfg, reference = load_scale(args.results), load_reference()
        runs = table(args.results, cfg, args.study, reference)
    except StudyError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    if args.what == "table":
        io.write_text(out / "runs.csv", runs.to_csv(index=False))
        io.write_text(out / "cells.csv", cells(runs, reference).to_csv(index=False))
    elif args.what == "figures":
        masked = runs[runs["model"] != "wae"]  # the yardstick's runs are in the table, not the figures
        title = (
            f"Study {args.study} ({cfg['scale']} scale, {fmt.count(len(masked), 'runs')} of the mask, "
            f"{fmt.span(masked['steps'], thousands=True)} steps, seeds {fmt.span(masked['seed'])})"
        )
        table_cells = cells(runs, reference)
        within = reference["sensitivity"]["found_within"]
        save(plots.heatmap(table_cells, title, within), out / "heatmap")
        judged = verdicts(cfg, args.study, runs, reference)
        save(plots.axes(runs, judged, within, f"{title}; hollow: mask still moving"), out / "axes")
    else:
        io.write_text(out / "verdict.md", render(cfg, args.study, runs, reference))
    return 0


if __name__ == "__main__":
    sys.exit(main())
