"""A reference run committed part by part, for scales that outlast a working session (results/reference/cpu).

``keep``: copy a results root's scored runs into the reference folder: each run's config.json, metrics.csv,
summary.json and scores.json (weights and checkpoints left out for size), its training and scoring logs and
benchmarks, the prepared records and the metric caches (e.g. the LeNet behind fd_lenet, so runs scored
in a later part use the very same network); a study's runs (``runs/<dataset>/<study>~<setting>/...``) as well,
with their logs, benchmarks and prepared records under ``studies/<study>/``. ``restore``: copy them back
into a results root and touch them oldest first (prepared, config, summary, scores), so that Snakemake
finds every kept run up to date even without its model.pt (a missing intermediate file is not rebuilt
while what was made from it is newer) and plans only the runs still to do.

    python workflow/scripts/reference_parts.py keep --results results/cpu --reference results/reference/cpu
    python workflow/scripts/reference_parts.py restore --results results/cpu --reference results/reference/cpu
    python workflow/scripts/reference_parts.py times --results results/reference/cpu

``keep --rendered`` also copies what the workflow rendered from the runs (runs.csv, datasets.json,
config.yaml, tables, figures, baselines, the verdict report and each study's outputs): for the last part
only, once everything is rendered from every run, so a reference never holds renders of part of its runs.
``times``: the wall time of every kept train and score job (Snakemake's benchmarks), per data set or study.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

RUN_FILES = ("config.json", "metrics.csv", "summary.json", "scores.json")
RUNS = ("runs/*/*/*/*", "runs/*/*~*/*/*/*")  # <dataset>/[<study>~<setting>/]<model>/m<m>/seed<s>
PREPARED = ("prepared/*.json", "studies/*/prepared/*.json", "metrics_cache/*")
RENDERED = (
    "config.yaml", "datasets.json", "runs.csv", "runs/*/runs.csv", "tables/*", "figures/*", "baselines/*",
    "report/*", "studies/*/*.csv", "studies/*/*.png", "studies/*/*.pdf", "studies/*/*.md",
)  # fmt: skip


def _made_by(where: Path) -> list[Path]:
    """The train and score logs and benchmarks of the run at ``where`` (relative to the results root), named
    as the workflow's train/score rules (grid) and train_study/score_study rules (study) name them."""
    if len(where.parts) == 5:  # runs/<dataset>/<model>/m<m>/seed<s>
        dataset, model, m, seed = where.parts[1:]
        name = f"{model}_{m}_{seed}"

        def folder(kind: str, stage: str) -> Path:
            return Path(kind, stage, dataset)
    else:  # runs/<dataset>/<study>~<setting>/<model>/m<m>/seed<s>
        dataset, variant, model, m, seed = where.parts[1:]
        study, setting = variant.split("~", 1)
        name = f"{dataset}_{setting}_{model}_{m}_{seed}"

        def folder(kind: str, stage: str) -> Path:
            return Path(kind, "studies", study, stage)

    return [
        folder(kind, stage) / f"{name}.{suffix}"
        for stage in ("train", "score")
        for kind, suffix in (("logs", "log"), ("benchmarks", "tsv"))
    ]


def keep(results: Path, reference: Path, rendered: bool = False) -> int:
    """Copy every scored run (and what made it) from ``results`` into ``reference``, and with ``rendered``
    what was rendered from them; returns the count of runs."""
    kept = 0
    for pattern in RENDERED if rendered else ():
        for found in results.glob(pattern):
            if found.is_file():
                _copy(found, reference / found.relative_to(results))
    for pattern in RUNS:
        for scores in sorted(results.glob(f"{pattern}/scores.json")):
            where = scores.parent.relative_to(results)
            for made in [*(where / name for name in RUN_FILES), *_made_by(where)]:
                if (results / made).is_file():
                    _copy(results / made, reference / made)
            kept += 1
    for pattern in PREPARED:
        for found in results.glob(pattern):
            _copy(found, reference / found.relative_to(results))
    for prepare in ("prepare", "studies/*/prepare"):
        for folder in ("logs", "benchmarks"):
            for found in (results / folder).glob(prepare):
                shutil.copytree(found, reference / found.relative_to(results), dirs_exist_ok=True)
    return kept


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def restore(results: Path, reference: Path) -> int:
    """Copy the kept runs and prepared records into ``results``, touched in the order they were made."""
    if (reference / "runs").is_dir():
        shutil.copytree(reference / "runs", results / "runs", dirs_exist_ok=True)
    for pattern in PREPARED:
        for found in reference.glob(pattern):
            _copy(found, results / found.relative_to(reference))
    now = time.time()
    made = [
        PREPARED,
        *([f"{runs}/{name}" for runs in RUNS] for name in ("config.json", "summary.json", "scores.json")),
    ]
    for age, patterns in enumerate(made):
        for pattern in patterns:
            for path in results.glob(pattern):
                os.utime(path, (now + age, now + age))
    return sum(len(list(results.glob(f"{runs}/scores.json"))) for runs in RUNS)


def times(results: Path) -> list[str]:
    """One line per data set (or study) and stage: jobs, their summed and median wall seconds."""
    found: dict[tuple[str, str], list[float]] = {}
    for tsv in sorted(results.glob("benchmarks/**/*.tsv")):
        where = tsv.relative_to(results / "benchmarks").parts
        stage = next((part for part in where if part in ("train", "score")), None)
        if stage is None:
            continue
        group = "/".join(part for part in where[:-1] if part != stage)
        found.setdefault((group, stage), []).append(float(tsv.read_text().splitlines()[1].split("\t")[0]))
    return [
        f"{group} {stage}: {len(s)} jobs, {sum(s):,.0f} s in all, median {statistics.median(s):,.0f} s, "
        f"{min(s):,.0f}-{max(s):,.0f} s"
        for (group, stage), s in sorted(found.items())
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=("keep", "restore", "times"))
    p.add_argument("--results", type=Path, required=True, help="the results root, e.g. results/cpu")
    p.add_argument("--reference", type=Path, help="e.g. results/reference/cpu (keep and restore)")
    p.add_argument("--rendered", action="store_true", help="keep: also the tables, figures, reports, ...")
    args = p.parse_args(argv)
    if args.action == "times":
        print("\n".join(times(args.results)))
        return 0
    if args.reference is None:
        p.error(f"{args.action} needs --reference")
    if args.action == "keep":
        print(f"{keep(args.results, args.reference, args.rendered)} scored runs kept in {args.reference}")
    else:
        print(f"{restore(args.results, args.reference)} scored runs restored into {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
