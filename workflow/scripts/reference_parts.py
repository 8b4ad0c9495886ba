"""A reference run committed part by part, for scales that outlast a working session (results/reference/cpu).

``keep``: copy a results root's scored runs into the reference folder: each run's config.json, metrics.csv,
summary.json and scores.json (weights and checkpoints left out for size), its training and scoring logs and
benchmarks, and the prepared records. ``restore``: copy them back into a results root and touch them oldest
first (prepared, config, summary, scores), so that Snakemake finds every kept run up to date even without
its model.pt (a missing intermediate file is not rebuilt while what was made from it is newer) and plans
only the runs still to do.

    python workflow/scripts/reference_parts.py keep --results results/cpu --reference results/reference/cpu
    python workflow/scripts/reference_parts.py restore --results results/cpu --reference results/reference/cpu
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

RUN_FILES = ("config.json", "metrics.csv", "summary.json", "scores.json")


def keep(results: Path, reference: Path) -> int:
    """Copy every scored run (and what made it) from ``results`` into ``reference``; returns the count."""
    kept = 0
    for scores in sorted(results.glob("runs/*/*/*/*/scores.json")):
        run = scores.parent
        where = run.relative_to(results)
        (reference / where).mkdir(parents=True, exist_ok=True)
        for name in RUN_FILES:
            shutil.copy2(run / name, reference / where / name)
        dataset, model, m, seed = where.parts[1:]
        for stage in ("train", "score"):
            for folder, suffix in (("logs", "log"), ("benchmarks", "tsv")):
                found = results / folder / stage / dataset / f"{model}_{m}_{seed}.{suffix}"
                if found.is_file():
                    (reference / folder / stage / dataset).mkdir(parents=True, exist_ok=True)
                    shutil.copy2(found, reference / folder / stage / dataset / found.name)
        kept += 1
    for found in results.glob("prepared/*.json"):
        (reference / "prepared").mkdir(parents=True, exist_ok=True)
        shutil.copy2(found, reference / "prepared" / found.name)
    for folder in ("logs", "benchmarks"):
        if (results / folder / "prepare").is_dir():
            shutil.copytree(results / folder / "prepare", reference / folder / "prepare", dirs_exist_ok=True)
    return kept


def restore(results: Path, reference: Path) -> int:
    """Copy the kept runs and prepared records into ``results``, touched in the order they were made."""
    for folder in ("runs", "prepared"):
        if (reference / folder).is_dir():
            shutil.copytree(reference / folder, results / folder, dirs_exist_ok=True)
    now = time.time()
    made = (
        "prepared/*.json",
        *(f"runs/*/*/*/*/{name}" for name in ("config.json", "summary.json", "scores.json")),
    )
    for age, pattern in enumerate(made):
        for path in results.glob(pattern):
            os.utime(path, (now + age, now + age))
    return len(list(results.glob("runs/*/*/*/*/scores.json")))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=("keep", "restore"))
    p.add_argument("--results", type=Path, required=True, help="the results root, e.g. results/cpu")
    p.add_argument("--reference", type=Path, required=True, help="e.g. results/reference/cpu")
    args = p.parse_args(argv)
    if args.action == "keep":
        print(f"{keep(args.results, args.reference)} scored runs kept in {args.reference}")
    else:
        print(f"{restore(args.results, args.reference)} scored runs restored into {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
