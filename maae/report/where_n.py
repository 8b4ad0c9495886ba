"""Where the scale's synthetic recipe finds n: every MAAE run trained with it, from the grid's synthetic data
sets and from each study's base setting where that base is the recipe, by n and spare capacity m/n, judged
by the studies' rule (paper_reference.yaml, ``sensitivity``: final m_A within n ± found_within, settled).

The grid varies m at n = 8 and 16; the studies vary n at a few m/n. Each alone answers half of "where does
the mask find n?"; this puts the runs that share one recipe on one map. A run two sources both hold (the
same n, m and seed) counts once, the grid's or the first study's in the scale file's order.

    python -m maae.report.where_n --results results/cpu --out results/cpu/studies/where_n.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from maae import io
from maae.report import fmt
from maae.report.reference import load as load_reference
from maae.report.study import StudyError, finds_n, load_scale

KEEP = ("source", "n", "m", "seed", "m_active", "settled", "found")


def recipe(cfg: dict[str, Any], source: str | None = None) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """The recipe of the grid data set ``source`` (default: the synthetic one with the smallest n): its run
    overrides, steps and data options besides n, with which every other source is compared."""
    synthetic = {k: v for k, v in cfg["datasets"].items() if v["data"].get("name") == "synthetic"}
    if not synthetic:
        raise StudyError("the scale has no synthetic data set, so no recipe to map")
    if source is None:
        source = min(synthetic, key=lambda k: (int(synthetic[k]["data"]["n"]), k))
    elif source not in synthetic:
        raise StudyError(f"{source!r} is not a synthetic data set of the scale ({', '.join(synthetic)})")
    info = synthetic[source]
    data = {k: v for k, v in info["data"].items() if k not in ("name", "n")}
    return info.get("run", {}), int(info["steps"]), data


def sources(cfg: dict[str, Any], source: str | None = None) -> tuple[list[str], list[str], dict[str, str]]:
    """The grid's synthetic data sets and the studies trained with the recipe, and why each other is not."""
    run, steps, data = recipe(cfg, source)
    grid, studies, left_out = [], [], {}
    for name, info in cfg["datasets"].items():
        if info["data"].get("name") != "synthetic":
            continue
        if cfg.get("only") and name not in cfg["only"]:
            left_out[name] = f"left out of this run (only: {', '.join(cfg['only'])})"
        elif recipe(cfg, name) == (run, steps, data):
            grid.append(name)
        else:
            left_out[name] = "another recipe, length or data"
    for name, study in cfg.get("studies", {}).items():
        if (study.get("base", {}), int(study["steps"]), study.get("data", {})) == (run, steps, data):
            studies.append(name)
        else:
            left_out[name] = "its base is another recipe, length or data"
    return grid, studies, left_out


def runs(
    results: Path, cfg: dict[str, Any], reference: dict[str, Any], source: str | None = None
) -> pd.DataFrame:
    """One row per recipe run: where it came from, n, m, seed, m_A, settled, found."""
    grid, studies, _ = sources(cfg, source)
    parts = []
    for name in grid:
        path = results / "runs" / name / "runs.csv"
        if not path.is_file():
            raise StudyError(f"{path} is missing: run the grid's {name} first")
        frame = pd.read_csv(path, low_memory=False)
        frame = frame[frame["model"] == "maae"].copy()
        n = int(cfg["datasets"][name]["data"]["n"])
        judged = [
            finds_n(int(m_a), n, since, int(steps), reference)
            for m_a, since, steps in zip(
                frame["m_active"], frame["m_active_since"], frame["steps"], strict=True
            )
        ]
        frame["n"] = n
        frame["settled"] = [settled for settled, _ in judged]
        frame["found"] = [found for _, found in judged]
        parts.append(frame.assign(source=name))
    for name in studies:
        path = results / "studies" / name / "runs.csv"
        if not path.is_file():
            raise StudyError(f"{path} is missing: run `snakemake {name}` first")
        frame = pd.read_csv(path, low_memory=False)
        parts.append(frame[(frame["setting"] == "base") & (frame["model"] == "maae")].assign(source=name))
    if not parts:
        raise StudyError("no grid data set or study was trained with the recipe")
    every = pd.concat([p[list(KEEP)] for p in parts], ignore_index=True)
    return every.drop_duplicates(subset=["n", "m", "seed"], keep="first").reset_index(drop=True)


def render(
    cfg: dict[str, Any], frame: pd.DataFrame, reference: dict[str, Any], source: str | None = None
) -> str:
    """The map as markdown: rows n, columns m/n, each cell the runs finding n and every run's m_A."""
    run, steps, _ = recipe(cfg, source)
    _, _, left_out = sources(cfg, source)
    frame = frame.assign(ratio=frame["m"] / frame["n"])
    ratios = sorted(frame["ratio"].unique())
    lines = [
        f"# Where the recipe finds n ({cfg['scale']} scale)",
        "",
        f"Recipe: {fmt.value(run) or 'maae defaults'}; {steps:,} iterations; MAAE. A run finds n when its "
        f"final m_A is within n ± {reference['sensitivity']['found_within']} and its mask settled (unchanged "
        f"over the last {reference['statistics']['settled_fraction']:.0%} of training). "
        f"{fmt.count(len(frame), 'runs')} from {', '.join(dict.fromkeys(frame['source']))}; a cell gives the "
        "runs finding n and each seed's m_A (* not settled).",
        "",
        "| n | " + " | ".join(f"m = {r:g}n" for r in ratios) + " |",
        "|---|" + "---|" * len(ratios),
    ]
    for n, at_n in frame.groupby("n"):
        row = []
        for r in ratios:
            cell = at_n[at_n["ratio"] == r].sort_values("seed")
            if cell.empty:
                row.append("")
                continue
            m_a = ", ".join(
                f"{int(v)}{'' if s else '*'}" for v, s in zip(cell["m_active"], cell["settled"], strict=True)
            )
            row.append(f"{int(cell['found'].sum())}/{len(cell)} ({m_a})")
        lines.append(f"| {int(n)} | " + " | ".join(row) + " |")
    if left_out:
        lines += ["", "Not on the map: " + "; ".join(f"{k} ({why})" for k, why in left_out.items()) + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", type=Path, required=True, help="results root (results/<scale>)")
    p.add_argument("--out", type=Path, help="markdown file (default: print)")
    p.add_argument(
        "--recipe-from", help="the grid data set whose recipe to map (default: smallest synthetic n)"
    )
    args = p.parse_args(argv)
    try:
        cfg, reference = load_scale(args.results), load_reference()
        frame = runs(args.results, cfg, reference, args.recipe_from)
        text = render(cfg, frame, reference, args.recipe_from)
    except StudyError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args.out:
        io.write_text(args.out, text)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
