"""Command line: ``python -m maae {train,train-pack,sample,encode,score,prepare,config}``.

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


class _MemberAction(argparse.Action):
    """--member FOLDER: a new member of the pack, with no options of its own yet."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        namespace.members = [*namespace.members, (Path(values), [])]


class _MemberSetAction(argparse.Action):
    """--set KEY=VALUE: for the member named last, or for all before any is named."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if namespace.members:
            namespace.members[-1][1].append(values)
        else:
            namespace.overrides = [*namespace.overrides, values]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m maae", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("train", help="train one run (model.kind: maae, wae) into a folder")
    _add_config_args(p)
    p.add_argument(
        "--out", "-o", type=Path, required=True, help="the run folder (resumed if it holds checkpoints)"
    )

    p = sub.add_parser(
        "train-pack",
        help="train several runs of one data set in one process (maae.pack; MLP architectures), each into "
        "its folder: --member FOLDER starts a run, the --set options after it are that run's own",
    )
    p.add_argument("--config", "-c", type=Path, help="YAML or JSON config shared by every member")
    p.add_argument(
        "--set",
        "-s",
        action=_MemberSetAction,
        metavar="KEY=VALUE",
        help="an override for every member (before the first --member) or for the member it follows",
    )
    p.add_argument(
        "--member", action=_MemberAction, required=True, metavar="FOLDER", help="a member's run folder"
    )
    p.set_defaults(members=[], overrides=[])  # the actions build new lists: these are never mutated

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

    _add_score_parser(sub)

    p = sub.add_parser(
        "prepare",
        help="read every split once (generating synthetic data, caching CelebA) and build a metric's "
        "backbone (the LeNet of fd_lenet, the Inception weights of fid), so parallel jobs find them ready",
    )
    _add_config_args(p)
    p.add_argument("--metric", choices=["fid", "fd_lenet", "fd_raw"], help="the primary score to prepare")
    p.add_argument("--cache-dir", type=Path, help="where fd_lenet's classifier is cached")
    p.add_argument("--lenet-epochs", type=int, default=3, help="epochs of fd_lenet's classifier (default 3)")
    p.add_argument("--out", "-o", type=Path, required=True, help="JSON record of what was prepared")

    p = sub.add_parser("config", help="print the fully resolved config as JSON")
    _add_config_args(p)
    return parser


def _add_score_parser(sub: argparse._SubParsersAction) -> None:
    from maae.metrics.options import ScoreOptions

    defaults = ScoreOptions()

    p = sub.add_parser("score", help="score a trained run (FID or fd_raw, KDE, m_A, NAC) into scores.json")
    p.add_argument("--run", type=Path, required=True, help="a run folder written by 'train'")
    p.add_argument(
        "--metrics",
        help="comma-separated subset; default: all that apply (images: fid,fd_lenet,nac; synthetic: "
        "fd_raw,kde,nac; kde_sklearn on request)",
    )
    integers = {
        "n_samples": "generated samples",
        "n_real": "real test samples for fid, fd_lenet and fd_raw",
        "n_codes": "test codes for NAC",
        "kde_n_fit": "train rows the KDE is fitted on",
        "kde_n_val": "val rows its bandwidth is chosen on",
        "seed": "seed of the prior draws",
    }
    for key, text in integers.items():
        flag = "--" + key.replace("_", "-")
        p.add_argument(flag, type=int, default=getattr(defaults, key), help=f"{text} (default %(default)s)")
    p.add_argument(
        "--lenet-epochs",
        type=int,
        default=defaults.lenet_epochs,
        help="fd_lenet classifier (default %(default)s)",
    )
    p.add_argument("--no-minmax", action="store_true", help="skip the authors' per-image min-max of samples")
    p.add_argument("--bf16", action="store_true", help="bfloat16 Inception: faster, features move ~2%%")
    p.add_argument("--no-channels-last", action="store_true", help="plain NCHW Inception (slower on CPU)")
    p.add_argument("--no-download", action="store_true", help="never try to download the Inception weights")
    p.add_argument(
        "--cache-dir", type=Path, help="real statistics and classifiers (<data.root>/metrics_cache)"
    )
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=defaults.device)


def _score(args: argparse.Namespace) -> int:
    from maae.metrics.score import SCORES_FILE, ScoreOptions, score_run

    metrics = None
    if args.metrics is not None:
        metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
        if not metrics:
            raise ConfigError("--metrics: expected a comma-separated list, e.g. fid,nac")
    opts = ScoreOptions(
        metrics=metrics,
        n_samples=args.n_samples,
        n_real=args.n_real,
        n_codes=args.n_codes,
        kde_n_fit=args.kde_n_fit,
        kde_n_val=args.kde_n_val,
        seed=args.seed,
        minmax_generated=not args.no_minmax,
        fid_precision="bf16" if args.bf16 else "fp32",
        channels_last=not args.no_channels_last,
        download=not args.no_download,
        cache_dir=None if args.cache_dir is None else str(args.cache_dir),
        device=args.device,
        lenet_epochs=args.lenet_epochs,
    )
    result = score_run(args.run, opts)
    values = [
        f"{name}={s['value']:.4g}" if s["value"] is not None else f"{name}=n/a"
        for name, s in result["scores"].items()
    ]
    print(f"{' '.join(values)} m_A={result['m_active']} -> {args.run / SCORES_FILE}")
    return 0


def _train_pack(args: argparse.Namespace) -> int:
    from maae.pack import train_pack

    cfgs = [config_mod.load(args.config, [*args.overrides, *own]) for _, own in args.members]
    summaries = train_pack(cfgs, [out for out, _ in args.members])
    for (out, _), s in zip(args.members, summaries, strict=True):
        print(f"{s['model']} m={s['m']} m_A={s['m_active']} seed={s['seed']} steps={s['steps']} -> {out}")
    total = sum(s["train_seconds"] for s in summaries)
    print(f"{len(summaries)} runs in one pack, {total:.0f} s")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from maae import io, provenance
    from maae.data import load_split, splits

    cfg = config_mod.load(args.config, args.overrides)
    if args.lenet_epochs < 1:
        raise ConfigError(f"--lenet-epochs: must be at least 1, got {args.lenet_epochs}")
    record = {"data": cfg.to_dict()["data"], "splits": {}, "metric": args.metric}
    for split in splits(cfg.data.name):
        record["splits"][split] = list(load_split(cfg.data, split).shape)
    if args.metric == "fd_lenet":
        from maae.metrics import offline
        from maae.metrics.score import cache_dir

        cache = cache_dir(cfg, args.cache_dir)
        _, record["classifier"] = offline.load_or_train(cfg.data, cache, args.lenet_epochs)
    elif args.metric == "fid":
        from maae.metrics import fid

        fid.load_weights()
        record["inception_weights"] = str(fid.weights_path())
    record["versions"] = provenance.package_versions()
    record["code_version"] = provenance.code_version()
    io.write_json(args.out, record)
    print(f"{cfg.data.name}: {record['splits']} ready -> {args.out}")
    return 0


def _save_npy(path: Path, array: np.ndarray) -> None:
    from maae import io

    io.atomic_write(path, lambda f: np.save(f, array))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from maae.data import DataUnavailableError
    from maae.metrics import WeightsUnavailableError
    from maae.train import NonFiniteLossError

    try:
        return _run(args)
    except (ConfigError, DataUnavailableError, FileNotFoundError, WeightsUnavailableError) as err:
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
    if args.command == "train-pack":
        return _train_pack(args)

    if args.command == "score":
        return _score(args)
    if args.command == "prepare":
        return _prepare(args)

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
