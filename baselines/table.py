"""STEM.csv (tidy, COLUMNS of baselines.compare) and STEM.md (per-seed table, per-method summary, the
paper's §8 figures beside ours, and what produced every number)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from baselines.compare import COLUMN_NAMES, Comparison
from maae import io
from maae.report import reference
from maae.report.aggregate import BACKBONES


def _num(x: Any, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e6 else f"{x:.{digits}g}"


def _md_table(frame: pd.DataFrame) -> list[str]:
    cells = frame.astype(str).map(lambda text: text.replace("|", "\\|"))
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    return lines + ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]


def agreement(chosen: pd.Series) -> tuple[int | None, int, int]:
    """(modal m, seeds that chose it, seeds): how often a search lands on the same m (ties: smaller m)."""
    chosen = chosen.dropna().astype(int)
    if chosen.empty:
        return None, 0, 0
    counts = chosen.value_counts()
    modal = min(m for m, c in counts.items() if c == counts.max())
    return modal, int(counts.max()), len(chosen)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per method: means over seeds, and the modal chosen m with its share of the seeds."""
    rows = []
    for method, group in frame.groupby("method", sort=False):
        modal, hits, seeds = agreement(group["chosen_m"] if method != "maae" else group["m_active"])
        rows.append(
            {
                "method": method,
                "seeds": len(group),
                "models trained (mean)": _num(group["models_trained"].mean(), 3),
                "evaluations (mean)": _num(group["evaluations"].mean(), 3),
                "train time, s (mean)": _num(group["train_seconds"].mean()),
                "cost / MAAE (mean)": _num(group["cost_ratio"].mean(), 3),
                "chosen m, maae: m_A (modal: seeds)": "" if modal is None else f"{modal}: {hits}/{seeds}",
            }
        )
    return pd.DataFrame(rows)


def per_seed(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "method": frame["method"],
            "seed": frame["seed"],
            "models trained": frame["models_trained"],
            "evaluations": frame["evaluations"],
            "train time (s)": frame["train_seconds"].map(_num),
            "cost / MAAE": frame["cost_ratio"].map(lambda x: _num(x, 3)),
            "chosen m (maae: capacity)": frame["chosen_m"].map(_num),
            "m_A (searches: chosen m)": frame["m_active"].map(_num),
            f"{metric}": frame["score"].map(_num),
            "note": frame["note"].fillna(""),
        }
    )


def _distinct(values: list[Any]) -> str:
    kept = sorted({v for v in values if v is not None})
    return ", ".join(str(v) for v in kept) if kept else "unrecorded"


def provenance(comparison: Comparison) -> list[str]:
    source, runs = comparison.source, comparison.runs
    cands = comparison.candidates
    shown = ", ".join(map(str, cands)) if len(cands) <= 12 else f"{cands[0]}..{cands[-1]}"
    samples = (
        f"{_distinct([r.n_generated for r in runs])} generated vs {_distinct([r.n_real for r in runs])} real"
    )
    lines = [
        f"scale {source.scale}, {source.mode} mode; score {source.metric} ({BACKBONES[source.metric]}, "
        f"lower is better), {samples} samples; never compare it with another metric's values",
        f"training steps per run: {_distinct([r.steps for r in runs])}; "
        f"devices: {_distinct([r.device for r in runs])}; seeds: {', '.join(map(str, comparison.seeds))}",
        f"candidates: m in {shown} ({len(cands)} values); "
        f"the MAAE reference is the MAAE run at m = {cands[-1]}",
        "cost = the measured training wall time (summary.json train_seconds) summed over the distinct runs a "
        "search looked at, whether or not this command trained them; scoring time is not counted; a packed "
        "run's time is an equal share of its pack's (maae.pack), so in a packed grid the cost counts models "
        "trained, not what each cost",
    ]
    if source.mode == "replay":
        lines.append(
            "replay: the grid holds a sorted list of m values, so ternary search runs over its index"
        )
    return lines


def paper_lines() -> list[str]:
    """§8's figures (paper_reference.yaml) and the cost ratios they imply."""
    ref = reference.load()["runtimes"]
    naive = ref["naive_search"]
    lo, hi = naive["range"]
    n_linear, n_ternary = naive["linear_search_models"], naive["ternary_search_models"]
    wae, maae = naive["wae_minutes"], naive["maae_minutes"]
    return [
        f"{ref['where']}, MNIST, m in [{lo}, {hi}], FID: linear search trains {n_linear} WAEs and ternary "
        f"search about {n_ternary}, at about {wae} min each; one MAAE at m = {hi} takes about {maae} min",
        f"implied cost / MAAE: linear {n_linear * wae / maae:.3g}, ternary {n_ternary * wae / maae:.3g}; "
        f"claim: {naive['claim']}",
        "compare ratios only: the paper's times are minutes on its GPU, ours this scale's measured seconds",
    ]


NOTES = (
    "ternary: a correct integer ternary search (each m trained at most once; the last three points all "
    "evaluated). ternary_printed: supplement Algorithm 1 exactly as printed, tol = 1. As printed its "
    "comparison keeps the side with the larger value, so on a U-shaped curve it heads for the worst m; it "
    "makes two calls per iteration and may repeat an m (a repeat is not trained twice). See "
    "baselines/search.py.",
)


def to_markdown(comparison: Comparison, extra_notes: list[str]) -> str:
    source, frame = comparison.source, comparison.frame
    lines = [
        f"# Naive search over m against one MAAE run: {source.dataset} ({source.scale}, {source.mode})",
        "",
    ]
    lines += ["Supplement §8: train a WAE per candidate m and keep the best score, versus one MAAE run.", ""]
    lines += ["## Per method (over seeds)", "", *_md_table(summary(frame)), ""]
    lines += ["## Per seed", "", *_md_table(per_seed(frame, source.metric)), ""]
    lines += ["## What produced these numbers", ""] + [f"- {line}" for line in provenance(comparison)]
    lines += ["", "## The paper", ""] + [f"- {line}" for line in paper_lines()]
    lines += ["", "## Notes", ""] + [f"- {note}" for note in (*NOTES, *extra_notes)]
    return "\n".join(lines) + "\n"


def write(comparison: Comparison, stem: str | Path, extra_notes: list[str]) -> list[Path]:
    """STEM.csv and STEM.md, each written atomically."""
    return [
        io.write_text(f"{stem}.csv", comparison.frame[list(COLUMN_NAMES)].to_csv(index=False)),
        io.write_text(f"{stem}.md", to_markdown(comparison, extra_notes)),
    ]


def write_unavailable(stem: str | Path, dataset: str, mode: str, scale: str, reason: str) -> list[Path]:
    """A data set that could not run: a CSV with the header only, and a .md that says why."""
    text = f"# Naive search over m against one MAAE run: {dataset} ({scale}, {mode})\n\nNot run: {reason}\n"
    return [
        io.write_text(f"{stem}.csv", pd.DataFrame(columns=list(COLUMN_NAMES)).to_csv(index=False)),
        io.write_text(f"{stem}.md", text),
    ]
