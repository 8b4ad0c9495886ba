"""Command line: ``python -m maae {train,sample,encode,config}``.

Configs are YAML or JSON files in the shape of maae.config.RunConfig (sections data, model,
train); ``--set section.key=value`` overrides one value. Bad values fail before any work starts,
with a message that names the key.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np
import torch

from maae import config as config_mod
from maae.config import ConfigError


def _add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", type=Path, help="YAML or JSON config file (defaults if omitted)")
    p.add_argument(
        "--set",
        "-s",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one option, e.g. --set model.m=16 --set train.steps=20000 (repeatable)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m maae", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train one MAAE or WAE (model.mask=false) run into a folder")
    _add_config_args(p)
    p.add_argument(
        "--out", "-o", type=Path, required=True, help="the run folder (resumed if it holds checkpoints)"
    )

    p = sub.add_parser("sample", help="draw samples D(mu * z), z ~ N(0, I), from a trained run")
    p.add_argument("--run", type=Path, required=True, help="a run folder written by 'train'")
    p.add_argument("-n", type=int, default=10_000, help="number of samples (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the prior draws (default 0)")
    p.add_argument("--out", "-o", type=Path, required=True, help="output .npy file")

    p = sub.add_parser("encode", help="write the unmasked codes E(x) of a data split (for NAC)")
    p.add_argument("--run", type=Path, required=True, help="a run folder written by 'train'")
    p.add_argument("--split", default="test", help="train, val (synthetic only) or test (default)")
    p.add_argument("--limit", type=int, default=None, help="encode only the first N rows")
    p.add_argument("--out", "-o", type=Path, required=True, help="output .npy file")

    p = sub.add_parser("config", help="print the fully resolved config as JSON")
    _add_config_args(p)
    return parser


def _save_npy(path: Path, array: np.ndarray) -> None:
    from maae import io

    io.atomic_write(path, lambda f: np.save(f, array))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from maae.data import DataUnavailableError
    from maae.train import NonFiniteLossError

    try:
        return _run(args)
    except (ConfigError, DataUnavailableError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except NonFiniteLossError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    if args.command in ("train", "config"):
        cfg = config_mod.load(args.config, args.overrides)
        if args.command == "config":
            print(config_mod.dumps(config_mod.resolve(cfg)))
            return 0
        from maae.train import train

        summary = train(cfg, args.out)
        print(
            f"{summary['model']} m={summary['m']} m_A={summary['m_active']} steps={summary['steps']} "
            f"in {summary['train_seconds']:.0f} s -> {args.out}"
        )
        return 0

    from maae.model import load_trained

    cfg, model = load_trained(args.run)
    if args.command == "sample":
        if args.n < 1:
            raise ConfigError(f"-n: must be at least 1, got {args.n}")
        from maae.sample import sample

        x = sample(model, args.n, torch.Generator().manual_seed(args.seed))
        _save_npy(args.out, x.numpy())
        print(f"{args.n} samples -> {args.out}")
        return 0

    from maae.data import load_split, splits
    from maae.sample import encode

    if args.split not in splits(cfg.data.name):
        raise ConfigError(
            f"--split: {cfg.data.name} has no split {args.split!r} "
            f"(supported: {', '.join(splits(cfg.data.name))})"
        )
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit: must be at least 1, got {args.limit}")
    data = load_split(cfg.data, args.split)
    if args.limit is not None:
        data = data[: args.limit]
    codes = encode(model, data)
    _save_npy(args.out, codes.numpy())
    print(f"{codes.shape[0]} codes -> {args.out}")
    return 0
