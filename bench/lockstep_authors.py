"""maae against the authors' TensorFlow graph, sub-step by sub-step (not part of CI).

Builds the authors' ``MaskAAE_MNIST.py`` graph in ``tf.compat.v1`` (``bench/authors_tf.py``: their
file as published, with only the patches it lists to run offline), loads the same initial weights
into it and into ``maae.train.TrainingState`` (maae's defaults, no override beyond the case's
sizes), lets their own training loop draw batches and prior samples, feeds the same batches, prior
samples and gradient-penalty weights to maae's ``iteration``, and prints per sub-step (AE, each
critic step, generator, mask) the two losses and the largest parameter and optimiser-state
differences, for MAAE and the WAE. It also prints the initial-weight statistics of TF's own
initialisers beside maae's. ``--record`` writes the golden record that tests/test_lockstep.py
replays without TensorFlow.

Run it in its own environment (TensorFlow and torch side by side; see bench/authors_tf.py for
the install), from the repository root, on one CPU thread, in about a minute or two:

    .venv-tf/bin/python bench/lockstep_authors.py [--authors PATH/MaskAAE_MNIST.py] [--record FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch  # before TensorFlow: the other order crashed in one environment

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import numpy as np  # noqa: E402

from maae import lockstep, provenance  # noqa: E402

DEFAULT_AUTHORS = REPO.parent / "shared" / "authors" / "MaskAAE_MNIST.py"
TOLERANCE = 1e-6  # every parameter within this of the authors' after every sub-step
SMALL = 4096  # tensors up to this size go into the record whole, at the end of each iteration


@dataclass
class Row:
    index: int
    step: int
    kind: str
    tf_loss: float
    maae_loss: float
    param_diff: float
    param_where: str
    slot_diff: float
    slot_where: str


def largest_difference(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> tuple[float, str]:
    if ours.keys() != theirs.keys():
        missing = sorted(set(ours) ^ set(theirs))
        raise KeyError(f"the two sides name different tensors: {missing[:4]}")
    diffs = {name: float(np.abs(ours[name] - theirs[name]).max()) for name in ours}
    where = max(diffs, key=diffs.get)
    return diffs[where], where


def run_model(args: argparse.Namespace, mask: bool, workdir: Path) -> tuple[list[Row], dict, dict]:
    from authors_tf import AuthorsRun  # TensorFlow loads here, after torch

    state = lockstep.new_state(mask, args.m, args.batch_size, args.steps)
    names = lockstep.parameter_names(state)
    maae_init = lockstep.tf_values(state)
    case = lockstep.make_case(state, args.seed)
    lockstep.load_weights(state, case.weights)
    gp_rng = np.random.default_rng(args.seed + 1)
    authors = AuthorsRun(
        args.authors,
        mask_on=mask,
        z_dim=args.m,
        bs=args.batch_size,
        lr=1e-4,
        images=case.images,
        steps=args.steps,
        workdir=workdir,
    )
    tf_init: dict[str, np.ndarray] = {}
    pending: list[tuple[lockstep.SubStep, float, dict, dict]] = []
    rows: list[Row] = []
    record: dict[str, list] = {k: [] for k in ("kind", "step", "image_idx", "prior", "gp_weight", "loss")}
    record |= {"checksums": [], "small": []}
    last_kind = "mask" if mask else "gen"

    def init(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        tf_init.update(values)
        return case.weights

    def gp_weight(_: int) -> np.ndarray:
        return gp_rng.uniform(size=(args.batch_size, 1)).astype(np.float32)

    def compare(group: list[tuple[lockstep.SubStep, float, dict, dict]]) -> None:
        """maae's iteration on one of the authors' iterations, checked after every sub-step."""
        theirs = iter(group)

        def observe(sub: lockstep.SubStep, loss: torch.Tensor) -> None:
            _, tf_loss, tf_params, tf_slots = next(theirs)
            ours = lockstep.tf_values(state)
            slots = {
                k: v.numpy().T if names[k.split("/", 1)[1]][1] else v.numpy()
                for k, v in lockstep.optimiser_slots(state).items()
            }
            p_diff, p_where = largest_difference(ours, tf_params)
            s_diff, s_where = largest_difference(slots, tf_slots)
            rows.append(
                Row(len(rows), sub.step, sub.kind, tf_loss, float(loss), p_diff, p_where, s_diff, s_where)
            )
            gp = sub.gp_weight if sub.gp_weight is not None else np.full((args.batch_size, 1), np.nan)
            for key, value in zip(
                ("kind", "step", "image_idx", "prior", "gp_weight", "loss"),
                (sub.kind, sub.step, sub.image_idx, sub.prior, gp, tf_loss),
                strict=True,
            ):
                record[key].append(value)
            record["checksums"].append([lockstep.checksums(tf_params[n]) for n in sorted(tf_params)])
            if sub.kind == last_kind:
                record["small"].append({n: v for n, v in tf_params.items() if v.size <= SMALL})

        lockstep.replay(state, case.images, [sub for sub, *_ in group], observe)

    def on_substep(tf_sub) -> None:
        sub = lockstep.SubStep(tf_sub.kind, tf_sub.step, tf_sub.image_idx, tf_sub.prior, tf_sub.gp_weight)
        pending.append((sub, float(tf_sub.loss), authors.variables(), authors.rms()))
        if tf_sub.kind == last_kind:  # the authors' iteration is complete: replay it in maae
            compare(list(pending))
            pending.clear()

    authors.run(init=init, gp_weight=gp_weight, on_substep=on_substep)
    info = {
        "patches": authors.patches,
        "tf_version": authors.tf_version,
        "authors_sha256": authors.script_sha256,
        "weights_digest": lockstep.weights_digest(case.weights),
        "tf_init": lockstep.init_statistics(tf_init),
        "maae_init": lockstep.init_statistics(maae_init),
        "tensor_names": sorted(names),
    }
    return rows, record, info


def write_record(
    path: Path, args: argparse.Namespace, results: dict[str, tuple[list[Row], dict, dict]]
) -> None:
    """The golden record: inputs, losses and checksums per sub-step, small tensors per iteration."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict = {
        "what": "maae.lockstep golden record: the authors' MaskAAE_MNIST.py in tf.compat.v1, lock-step case",
        "seed": args.seed,
        "m": args.m,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "maae_code_version": provenance.code_version(),
        "versions": provenance.package_versions(),
        "models": {},
    }
    for model, (rows, record, info) in results.items():
        meta["models"][model] = {
            k: info[k] for k in ("patches", "tf_version", "authors_sha256", "weights_digest", "tensor_names")
        } | {
            "kinds": record["kind"],
            "steps": record["step"],
            "max_param_diff": max(r.param_diff for r in rows),
        }
        arrays[f"{model}/image_idx"] = np.stack(record["image_idx"]).astype(np.int16)
        arrays[f"{model}/prior"] = np.stack(record["prior"]).astype(np.float32)
        arrays[f"{model}/gp_weight"] = np.stack(record["gp_weight"]).astype(np.float32)
        arrays[f"{model}/loss"] = np.array(record["loss"], dtype=np.float64)
        arrays[f"{model}/checksums"] = np.array(record["checksums"], dtype=np.float64)
        for name in record["small"][0]:
            arrays[f"{model}/small/{name}"] = np.stack([it[name] for it in record["small"]])
    arrays["meta"] = np.array(json.dumps(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)


def print_report(model: str, rows: list[Row], info: dict) -> bool:
    print(f"\n{model}: the authors' graph (TF {info['tf_version']}) vs maae.train.iteration, maae's defaults")
    print(f"{'#':>3} {'step':>4} {'sub-step':<8} {'TF loss':>14} {'maae loss':>14} {'|dloss|':>9}"
          f" {'max |dparam|':>12}  {'max |drms|':>10}  where (param)")  # fmt: skip
    for r in rows:
        print(
            f"{r.index:>3} {r.step:>4} {r.kind:<8} {r.tf_loss:>14.8g} {r.maae_loss:>14.8g}"
            f" {abs(r.tf_loss - r.maae_loss):>9.2e} {r.param_diff:>12.2e}  {r.slot_diff:>10.2e}"
            f"  {r.param_where}"
        )
    ok = all(r.param_diff <= TOLERANCE for r in rows)
    worst = max(rows, key=lambda r: r.param_diff)
    print(
        f"{model}: every parameter within {TOLERANCE:g} of the authors' after each of {len(rows)} sub-steps: "
        f"{'yes' if ok else 'NO'} (largest {worst.param_diff:.2e}, sub-step {worst.index} {worst.kind}, "
        f"{worst.param_where}); largest optimiser-state difference {max(r.slot_diff for r in rows):.2e}; "
        f"largest relative loss difference "
        f"{max(abs(r.tf_loss - r.maae_loss) / max(abs(r.tf_loss), 1e-12) for r in rows):.2e}"
    )
    return ok


def print_init(info: dict) -> None:
    print("\nInitial weights: TF's own initialisers (the authors' graph) vs maae's dense1024 default")
    print(f"{'tensor':<42} {'TF std':>10} {'maae std':>10} {'TF max/sd':>10} {'maae max/sd':>11}")
    for name, (sd, ratio) in info["tf_init"].items():
        msd, mratio = info["maae_init"][name]
        print(f"{name:<42} {sd:>10.4g} {msd:>10.4g} {ratio:>10.3f} {mratio:>11.3f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--authors", type=Path, default=DEFAULT_AUTHORS, help="path of MaskAAE_MNIST.py")
    p.add_argument("--m", type=int, default=16, help="latent size (default 16)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=3, help="the authors' iterations (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the case's images and weights")
    p.add_argument("--record", type=Path, help="write the golden record here (.npz)")
    args = p.parse_args(argv)
    if not args.authors.is_file():
        p.error(f"--authors {args.authors}: no such file (a copy of MaskAAE_MNIST.py)")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for model, mask in (("maae", True), ("wae", False)):
            results[model] = run_model(args, mask, Path(tmp) / model)
    info = results["maae"][2]
    print("Patches to the authors' script (nothing else changed):")
    for patch in info["patches"]:
        print(f"  - {patch}")
    print(
        f"authors' file sha256 {info['authors_sha256']}; case seed {args.seed}, m {args.m}, "
        f"batch {args.batch_size}"
    )
    ok = all([print_report(model, rows, info) for model, (rows, _, info) in results.items()])
    print_init(results["maae"][2])
    if args.record:
        write_record(args.record, args, results)
        print(f"\nwrote {args.record}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
