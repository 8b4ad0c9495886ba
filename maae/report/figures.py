"""The paper's figures from one results root, each written as STEM.pdf and STEM.png.

A figure that cannot be drawn (data set missing or not in the scale, m not run, no runs) is still written, as
a placeholder saying why, and the command exits 0 with a warning line: the workflow needs every figure file.

    python -m maae.report.figures fig1 --results results/smoke --out figures/fig1 --datasets synthetic8 mnist
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from matplotlib.figure import Figure

from maae.report.aggregate import ResultsError
from maae.report.plots import heatmaps, samples, scores, training
from maae.report.plots.common import Results, Unavailable, placeholder_figure, save

Draw = Callable[[Results, argparse.Namespace], tuple[Figure, list[str]]]

TITLES = {
    "fig1": "Figure 1: WAE score against latent size m",
    "fig4": "Figure 4: score and m_A against latent size m",
    "fig5": "Figure 5: MAAE mask values over training",
    "fig6": "Figure 6: samples of MAAE and WAE",
    "fig8": "Figure 8: MAAE training curves",
    "heatmaps": "NAC covariance matrices of WAE and MAAE",
}


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--results", required=True, help="one scale's results root (datasets.json, runs.csv, runs/)"
    )
    common.add_argument("--out", required=True, help="output stem: writes STEM.pdf and STEM.png")
    common.add_argument(
        "--runs", nargs="*", help="per-data-set runs.csv files to read instead of <results>/runs.csv"
    )
    parser = argparse.ArgumentParser(
        prog="python -m maae.report.figures", description=__doc__.split("\n\n")[0]
    )
    figures = parser.add_subparsers(dest="figure", required=True, metavar="NAME")

    def figure(name: str, draw: Draw) -> argparse.ArgumentParser:
        sub = figures.add_parser(name, parents=[common], help=TITLES[name])
        sub.set_defaults(draw=draw)
        return sub

    sub = figure("fig1", lambda r, a: scores.fig1(r, a.datasets))
    sub.add_argument(
        "--datasets", nargs="+", required=True, help="one panel each, e.g. synthetic8 synthetic16 mnist"
    )
    sub = figure("fig4", lambda r, a: scores.fig4(r, a.dataset))
    sub.add_argument("--dataset", required=True)
    sub = figure("fig5", lambda r, a: training.fig5(r, a.dataset, a.m, a.seed))
    sub.add_argument("--dataset", required=True)
    sub.add_argument("--m", type=int, nargs="+", required=True, help="one panel each")
    sub.add_argument("--seed", type=int, default=0, help="training seed of the run (default 0)")
    sub = figure("fig6", lambda r, a: samples.fig6(r, a.dataset, a.m, a.seed, a.n, a.sample_seed))
    sub.add_argument("--dataset", required=True)
    sub.add_argument("--m", type=int, help="latent size (default: the scale's capacity)")
    sub.add_argument("--seed", type=int, default=0, help="training seed of the runs (default 0)")
    sub.add_argument("--n", type=int, default=64, help="samples per grid (default 64)")
    sub.add_argument("--sample-seed", type=int, default=0, help="seed of the prior draws (default 0)")
    sub = figure("fig8", lambda r, a: training.fig8(r, a.dataset, a.m, a.seed))
    sub.add_argument("--dataset", required=True)
    sub.add_argument("--m", type=int, required=True)
    sub.add_argument("--seed", type=int, default=0, help="training seed of the run (default 0)")
    sub = figure("heatmaps", lambda r, a: heatmaps.heatmaps(r, a.dataset, a.m, a.seed))
    sub.add_argument("--dataset", required=True)
    sub.add_argument("--m", type=int, help="latent size (default: the scale's capacity)")
    sub.add_argument("--seed", type=int, default=0, help="training seed of the runs (default 0)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "n", 1) < 1:
        print(f"error: --n must be at least 1, got {args.n}", file=sys.stderr)
        return 2
    try:
        results = Results.load(args.results, args.runs)
    except ResultsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        fig, problems = args.draw(results, args)
    except Unavailable as err:
        fig = placeholder_figure(f"{TITLES[args.figure]} ({results.scale} scale)", str(err))
        problems = [str(err)]
    for path in save(fig, args.out):
        print(path)
    for problem in problems:
        print(f"warning: {args.figure}: {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
