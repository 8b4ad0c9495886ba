"""``python -m baselines {replay,live}``: linear and ternary search over m against one MAAE run (supp. §8).

replay looks the searches up in a finished grid's runs.csv; live trains what they ask for, in the grid's
run folders (a run already there is reused, never retrained). Both write STEM.csv and STEM.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from baselines import live, replay, table
from baselines.compare import METHODS, compare
from baselines.source import BaselineError, DatasetUnavailable, Source
from maae import scales
from maae.config import ConfigError
from maae.data import DataUnavailableError
from maae.train import NonFiniteLossError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m baselines", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True, metavar="MODE")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dataset", required=True, help="data set key, e.g. synthetic8")
    common.add_argument("--out", required=True, type=Path, help="output stem: writes STEM.csv and STEM.md")
    common.add_argument(
        "--range", nargs=2, type=int, metavar=("LO", "HI"), help="m range (default: the data set's m grid)"
    )
    common.add_argument("--seeds", nargs="+", type=int, help="training seeds (default: the grid's)")
    common.add_argument(
        "--methods", nargs="+", choices=METHODS, default=list(METHODS), help="searches to run (default: all)"
    )
    p = sub.add_parser("replay", parents=[common], help="look the searches up in a grid's runs.csv")
    p.add_argument("--results", required=True, type=Path, help="the scale's results root (holds runs.csv)")
    p = sub.add_parser("live", parents=[common], help="train what the searches ask for (cached)")
    p.add_argument("--config", required=True, type=Path, help="the scale file, e.g. config/smoke.yaml")
    return parser


def _check_range(lo: int, hi: int) -> None:
    if lo < 1 or lo > hi:
        raise BaselineError(f"--range: need 1 <= LO <= HI, got {lo} {hi}")


def _replay(args: argparse.Namespace) -> tuple[Source, list[int], list[int], list[str]]:
    source = replay.open_results(args.results, args.dataset)
    grid, seeds = source.wae_grid()
    if args.range:
        _check_range(*args.range)
        lo, hi = args.range
        cands = [m for m in grid if lo <= m <= hi]
        if not cands:
            raise BaselineError(f"--range: no WAE run with {lo} <= m <= {hi} (grid: {grid})")
    else:
        cands = grid
    chosen = args.seeds or seeds
    unknown = sorted(set(chosen) - set(seeds))
    if unknown:
        raise BaselineError(f"--seeds: no WAE runs for seeds {unknown} (grid seeds: {seeds})")
    gaps = {seed: missing for seed, missing in source.gaps(cands).items() if missing and seed in chosen}
    if args.seeds and gaps:
        seed, missing = next(iter(gaps.items()))
        raise BaselineError(
            f"--seeds: seed {seed} has no WAE run at m = {missing}, which the search may look at"
        )
    notes = [f"source: {source.where}"]
    if gaps:
        chosen = [seed for seed in chosen if seed not in gaps]
        if not chosen:
            raise BaselineError(f"no seed has a WAE run at every m searched ({cands})")
        left = ", ".join(f"{seed} (no WAE run at m = {', '.join(map(str, m))})" for seed, m in gaps.items())
        notes.append(f"seeds left out, a search needing a run at every m it may look at: {left}")
    return source, cands, chosen, notes


def _live(args: argparse.Namespace) -> tuple[live.LiveSource, list[int], list[int], list[str]]:
    cfg = scales.load(args.config)
    source = live.from_scale(cfg, args.dataset)
    grid = scales.grid(cfg, args.dataset)
    lo, hi = args.range or (grid[0], grid[-1])
    _check_range(lo, hi)
    seeds = args.seeds or list(cfg["datasets"][args.dataset]["seeds"])
    return source, list(range(lo, hi + 1)), seeds, [f"source: {args.config}, runs under {source.results}"]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        source, cands, seeds, notes = _replay(args) if args.mode == "replay" else _live(args)
        comparison = compare(source, cands, seeds, args.methods)
    except DatasetUnavailable as err:
        paths = table.write_unavailable(args.out, args.dataset, args.mode, err.scale, str(err))
        print(f"{args.dataset} not run ({err}); wrote {', '.join(map(str, paths))}")
        return 0
    except (BaselineError, ConfigError, DataUnavailableError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except NonFiniteLossError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if isinstance(source, live.LiveSource):
        notes.append(
            f"live: {len(source.trained)} of the {len(comparison.runs)} runs looked at were trained by this "
            "command; the others were reused from their run folders"
        )
    paths = table.write(comparison, args.out, notes)
    print(f"wrote {', '.join(map(str, paths))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
