"""maae in lock-step with the authors' TensorFlow script: the shared case, the replay, the record.

The check (``bench/lockstep_authors.py``) runs the authors' ``MaskAAE_MNIST.py`` graph and maae's
``train.iteration`` from the same initial weights on the same batches, prior draws and
gradient-penalty weights, and compares them after every sub-step. This module holds the half that
needs no TensorFlow, so that a test can replay maae against the record the check wrote:

- ``parameter_names``: the authors' TF variable name of every maae parameter;
- ``make_case``: images and initial weights drawn with numpy from a seed (the weights from the
  authors' initialisers' distributions), so the record need not store 12 million weights;
- ``SubStep``/``replay``: maae run on the sub-steps the authors' loop took, observed after each;
- ``checksums``: what the golden record keeps of each parameter tensor;
- ``KinkFlipped``: the critic with the ReLUs whose sign float32 cannot decide taken the other way.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from maae.config import RunConfig, resolve
from maae.data import data_shape
from maae.train import IterationInputs, TrainingState, iteration

_U32 = 2.0**-24  # float32's unit roundoff

_TRUNCATED_SD = 0.87962566103423978  # sd of N(0, 1) truncated at +-2, as TF's VarianceScaling divides out
# the authors' variable scopes and layer names, per maae network
_SCOPES = {"encoder": ("encoder", "enc"), "decoder": ("decoder", "dec"), "critic": ("discriminator", "disc")}


def lockstep_config(mask: bool, m: int, batch_size: int, steps: int) -> RunConfig:
    """maae's defaults for MNIST with only the case's sizes set: no other override."""
    return resolve(
        RunConfig().replace(
            **{
                "data.name": "mnist",
                "model.m": m,
                "model.kind": "maae" if mask else "wae",
                "train.batch_size": batch_size,
                "train.steps": steps,
                "train.device": "cpu",
            }
        )
    )


def parameter_names(state: TrainingState) -> dict[str, tuple[nn.Parameter, bool]]:
    """TF variable name -> (maae parameter, whether TF stores it transposed: kernels are (in, out))."""
    prefix = "maae" if state.model.mask is not None else "aae"
    names: dict[str, tuple[nn.Parameter, bool]] = {}
    for net, (scope, layer) in _SCOPES.items():
        linears = [x for x in getattr(state.model, net).modules() if isinstance(x, nn.Linear)]
        labels = [f"{layer}-dense-{i}" for i in range(len(linears) - 1)] + [f"{layer}-final"]
        for linear, label in zip(linears, labels, strict=True):
            names[f"{prefix}-{scope}/{label}/kernel"] = (linear.weight, True)
            names[f"{prefix}-{scope}/{label}/bias"] = (linear.bias, False)
    if state.model.mask is not None:
        names["Alpha"] = (state.model.mask.theta, False)
    return names


def optimiser_slots(state: TrainingState) -> dict[str, torch.Tensor]:
    """f"{optimiser}/{TF name}" -> maae's squared-gradient average, as the TF side names its rms slots."""
    tf_name = {id(p): name for name, (p, _) in parameter_names(state).items()}
    return {
        f"{opt_name}/{tf_name[id(p)]}": ms
        for opt_name, opt in state.opts.items()
        for p, ms in zip(opt.params, opt.ms, strict=True)
    }


def tf_values(state: TrainingState) -> dict[str, np.ndarray]:
    """maae's parameters by TF name, in TF's layout (kernels (in, out))."""
    values = {}
    for name, (param, transposed) in parameter_names(state).items():
        array = param.detach().cpu().numpy()
        values[name] = array.T if transposed else array
    return values


@dataclass(frozen=True)
class Case:
    """Images and TF-named initial weights for one model of the lock-step check."""

    images: np.ndarray  # uint8 [N, 28, 28]
    weights: dict[str, np.ndarray]  # TF name -> float32 array in TF's layout


def make_case(state: TrainingState, seed: int, n_images: int = 256) -> Case:
    """Images (mostly 0 and 1, like MNIST) and weights drawn as the authors' initialisers draw them:
    kernels N(0, sd) truncated at 2 sd with sd = sqrt(2 / (fan_in + fan_out)) / 0.8796, biases
    U(+-sqrt(3 / units)), theta U[0, 5]. numpy's PCG64 stream, so any machine redraws the same."""
    rng = np.random.default_rng(seed)
    raw = rng.random((n_images, 28, 28))
    images = np.where(raw < 0.7, 0, np.where(raw > 0.9, 255, rng.integers(0, 256, raw.shape))).astype(
        np.uint8
    )
    weights = {}
    for name, (param, transposed) in parameter_names(state).items():
        shape = tuple(param.shape[::-1]) if transposed else tuple(param.shape)
        if name == "Alpha":
            value = rng.uniform(0.0, 5.0, shape)
        elif name.endswith("/kernel"):
            fan_in, fan_out = shape
            draw = rng.standard_normal(shape)
            while (outside := np.abs(draw) > 2).any():
                draw[outside] = rng.standard_normal(int(outside.sum()))
            value = draw * math.sqrt(2.0 / (fan_in + fan_out)) / _TRUNCATED_SD
        else:
            limit = math.sqrt(3.0 / shape[0])
            value = rng.uniform(-limit, limit, shape)
        weights[name] = value.astype(np.float32)
    return Case(images, weights)


def load_weights(state: TrainingState, weights: dict[str, np.ndarray]) -> None:
    """Set maae's parameters to TF-named values (kernels transposed into torch's (out, in))."""
    with torch.no_grad():
        for name, (param, transposed) in parameter_names(state).items():
            value = torch.from_numpy(np.ascontiguousarray(weights[name]))
            param.copy_(value.T if transposed else value)


def weights_digest(weights: dict[str, np.ndarray]) -> str:
    """sha256 over the names and bytes: the record notes it, so a changed numpy stream is named as such."""
    h = hashlib.sha256()
    for name in sorted(weights):
        h.update(name.encode())
        h.update(np.ascontiguousarray(weights[name]).tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class SubStep:
    """What the authors' loop fed to one training op (the TF side's SubStep, without TF)."""

    kind: str  # ae, critic, gen or mask
    step: int  # the authors' 0-based loop step
    image_idx: np.ndarray  # int [bs]: rows of the case's images
    prior: np.ndarray  # float32 [bs, m]
    gp_weight: np.ndarray | None  # float32 [bs, 1]: TF's interpolation weight, on the code side


def batch(images: np.ndarray, idx: np.ndarray) -> torch.Tensor:
    """The batch exactly as the authors feed it: x / 255.0 in float64, then float32; (bs, 1, 28, 28)."""
    x = (images[idx].astype(np.float64) / 255.0).astype(np.float32)
    return torch.from_numpy(x).unsqueeze(1)


def iterations(substeps: list[SubStep]) -> Iterator[list[SubStep]]:
    """Group the authors' sub-steps by their loop step."""
    group: list[SubStep] = []
    for sub in substeps:
        if group and sub.step != group[0].step:
            yield group
            group = []
        group.append(sub)
    if group:
        yield group


def iteration_inputs(group: list[SubStep], images: np.ndarray) -> IterationInputs:
    """maae's inputs for one iteration from the authors' sub-steps (AE, critics, generator, mask).

    TF interpolates prior + a (code - prior); maae weighs the prior side, so beta = 1 - a."""
    kinds = [s.kind for s in group]
    k = kinds.count("critic")
    expected = ["ae"] + ["critic"] * k + ["gen"] + (["mask"] if kinds[-1] == "mask" else [])
    if kinds != expected:
        raise ValueError(f"step {group[0].step}: sub-steps {kinds}, expected {expected}")
    x = torch.stack([batch(images, s.image_idx) for s in group])
    with_prior = [s for s in group if s.kind in ("critic", "mask")]
    prior = torch.from_numpy(np.stack([s.prior for s in with_prior]).astype(np.float32))
    beta = torch.from_numpy(np.stack([1.0 - s.gp_weight[:, 0] for s in group if s.kind == "critic"]))
    return IterationInputs(x, prior, beta.float())


def replay(
    state: TrainingState,
    images: np.ndarray,
    substeps: list[SubStep],
    observe: Callable[[SubStep, torch.Tensor], None],
) -> None:
    """Run maae's iteration on the authors' sub-steps; observe(sub-step, maae's loss) after each."""
    for group in iterations(substeps):
        subs = iter(group)

        def note(kind: str, loss: torch.Tensor, subs: Iterator[SubStep] = subs) -> None:
            sub = next(subs)
            if sub.kind != kind:
                raise ValueError(f"maae ran {kind} where the authors ran {sub.kind} (step {sub.step})")
            observe(sub, loss)

        iteration(state, iteration_inputs(group, images), note)


def new_state(mask: bool, m: int, batch_size: int, steps: int) -> TrainingState:
    torch.set_num_threads(1)
    cfg = lockstep_config(mask, m, batch_size, steps)
    return TrainingState(cfg, data_shape(cfg.data), torch.device("cpu"))


def checksums(value: np.ndarray, seed: int = 0) -> np.ndarray:
    """(sum, sum of |w|, a +-1 random projection) in float64: a change to any sizeable part of a
    tensor moves one of them, while float32 rounding moves them by about ulp * sqrt(size)."""
    flat = value.astype(np.float64).ravel()
    return np.array([flat.sum(), np.abs(flat).sum(), flat @ _signs(flat.size, seed)])


@functools.cache
def _signs(size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).choice([-1.0, 1.0], size)


def init_statistics(values: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """name -> (std, max |w| / std) of each initial tensor (the mask's theta left out)."""
    out = {}
    for name, v in values.items():
        if name == "Alpha" or v.size < 2:
            continue
        sd = float(v.std())
        out[name] = (sd, float(np.abs(v).max() / sd) if sd else math.nan)
    return out


class KinkFlipped(nn.Module):
    """A ReLU critic (Linear, ReLU, ..., Linear) whose units near their kink are taken the other way.

    The gradient penalty's value depends on which ReLUs are on at the interpolated points, and a
    pre-activation within float32's rounding bound of 0 (|fl(w.x + b) - (w.x + b)| <= gamma_n
    (|w|.|x| + |b|), gamma_n = n u / (1 - n u), Higham's bound for a sum of n terms) is on or off
    according to the machine's summation order. The authors' graph may have taken any of those
    units the other way; ``flip`` picks which of them (the flip-th met over this object's forward
    passes; None: all) to take so.
    """

    def __init__(self, critic: nn.Sequential, flip: int | None) -> None:
        super().__init__()
        self.critic, self.flip = critic, flip
        self.undecided = 0  # units met so far within rounding of 0, over every forward pass

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bound = None
        for layer in self.critic:
            if isinstance(layer, nn.Linear):
                n = layer.in_features + 1
                gamma = n * _U32 / (1 - n * _U32)
                bound = gamma * (x.detach().abs() @ layer.weight.detach().abs().T + layer.bias.detach().abs())
                x = layer(x)
            elif isinstance(layer, nn.ReLU) and bound is not None:
                near = (x.detach().abs() <= bound).flatten()
                order = near.nonzero().flatten()
                chosen = torch.zeros_like(near)
                if self.flip is None:
                    chosen = near
                elif self.undecided <= self.flip < self.undecided + len(order):
                    chosen[order[self.flip - self.undecided]] = True
                self.undecided += len(order)
                on = (x.detach() > 0) ^ chosen.view_as(x)
                x = x * on
            else:
                raise TypeError(f"KinkFlipped takes Linear and ReLU layers, not {type(layer).__name__}")
        return x
