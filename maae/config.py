"""Run configuration: data set, model and training, validated before anything runs.

Every place where the paper and the authors' TensorFlow script disagree is an option here.
Defaults follow the authors' script (the code that produced the paper's numbers); where that
script has no counterpart (synthetic data, CIFAR-10 and CelebA networks) they follow the paper.
Each option's comment names both sides; the README tabulates them ("Paper versus the authors' code").
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml

from maae.kinds import MODEL_KINDS, kind_of

DATASETS = ("synthetic", "mnist", "fashion_mnist", "cifar10", "celeba")
IMAGE_DATASETS = DATASETS[1:]


class ConfigError(ValueError):
    """A bad configuration value; the message names the key."""


@dataclass(frozen=True)
class DataConfig:
    """Which data set, where it lives, and (synthetic) how it is generated (paper §5.1, supp. §10.1)."""

    name: Literal["synthetic", "mnist", "fashion_mnist", "cifar10", "celeba"] = "synthetic"
    root: str = "data"  # image data sets and the synthetic cache live below this folder
    n: int = 8  # synthetic: true latent size
    d: int = 128  # synthetic: data size
    hidden: int = 128  # synthetic: width of f's hidden layers
    layers: int = 2  # synthetic: weight layers of f, each followed by a leaky ReLU
    negative_slope: float = 0.2  # synthetic: leaky ReLU slope of f
    generator_seed: int = 0  # synthetic: seed of f and of its samples, independent of training
    n_train: int = 60_000
    n_val: int = 10_000
    n_test: int = 10_000


@dataclass(frozen=True)
class ModelConfig:
    """Networks, the mask and the loss terms (supp. §9.1, Eqs. 15-18)."""

    m: int = 16  # latent size (model capacity)
    # which model (maae.kinds): maae; wae (MAAE with the mask off: mu = 1, no theta, no L_mask);
    # wae_gan (Tolstikhin et al.: a Jensen-Shannon latent adversary and Adam). Options left at None or
    # auto take the kind's values (maae.kinds); config.json records what they resolved to.
    kind: str = "maae"
    arch: str = "auto"  # see maae.nets.ARCHITECTURES; auto picks per data set
    # paper: mu = max(0, 1 - exp(-theta)), theta free (a masked dimension gets no gradient);
    # authors: theta projected to >= 0 after each step, mu = 1 - exp(-theta).
    mask_param: Literal["authors", "paper"] = "authors"
    theta_init_max: float = 5.0  # a in theta ~ U[0, a] (authors: 5)
    active_threshold: float = 0.1  # mu_j >= this counts as active (authors: 0.1)
    # recon: bce_clipped (authors: Keras's BCE on sigmoid probabilities clipped to [1e-7, 1 - 1e-7],
    # mean over pixels; saturated pixels get no gradient), bce (the same from logits, unclipped),
    # l2 (paper: per-sample Euclidean norm), mse (mean over dimensions). auto: bce_clipped for images;
    # mse for synthetic data, the real-valued analogue of the authors' per-pixel mean (with
    # lambda1 = 1000 the paper's norm swamps the Wasserstein term and the mask does not close).
    # l2sq: per-sample squared norm (Tolstikhin et al.'s cost, with alpha1 = 0.05 the WAE-GAN default).
    recon: Literal["auto", "bce_clipped", "bce", "l2", "l2sq", "mse"] = "auto"
    alpha1: float | None = None  # weight of the reconstruction term in L_ae; None: 1 (WAE-GAN 0.05)
    alpha2: float = 100.0  # weight of the variance penalty in L_ae
    gamma: float = 10.0
    # authors: alpha2 * mean over batch and dims of (z - mean z)^2 * exp(-gamma mu^2);
    # paper: alpha2 * sum_j exp(-gamma mu_j) Var_j (delta^T diag(A)).
    var_penalty: Literal["authors", "paper"] = "authors"
    gp_weight: float = 10.0  # beta_2, as in Gulrajani et al.
    # masked (authors): gradient penalty at an interpolate of mu*z and mu*z_hat;
    # unmasked (paper Eq. 17): gradient with respect to the unmasked interpolate z_avg.
    gp_point: Literal["masked", "unmasked"] = "masked"
    # autograd: the penalty's input gradient by a double backward (as the authors' TF graph); closed_form:
    # written out for the ReLU critics every architecture here uses (maae.losses.relu_critic_gradient),
    # equal to rounding and free of the double backward that keeps torch.compile and CUDA graphs out.
    gp_gradient: Literal["autograd", "closed_form"] = "autograd"
    lambda1: float = 1000.0
    lambda2: float = 1.0
    lambda3: float | None = None  # initial weight of the binarising term; None: 2/m
    lambda3_cap: float | None = 2048.0  # authors cap the doubling; None: no cap (paper)
    width: int | None = None  # override the hidden width of MLP architectures
    gan_lambda: float = 10.0  # WAE-GAN's lambda: weight of the adversary's loss and of the encoder's penalty
    # dense1024's initial weights. authors: as tf.compat.v1.layers.dense gives them in their script,
    # glorot_normal kernels (normal truncated at 2 sd, rescaled to the Glorot variance) and, with
    # bias_initializer=None, glorot_uniform biases U(+-sqrt(3/units)); xavier: untruncated
    # xavier_normal_ kernels and zero biases. The other architectures keep PyTorch's defaults.
    init: Literal["authors", "xavier"] = "authors"


@dataclass(frozen=True)
class TrainConfig:
    """Algorithm 2 of the supplement, with the authors' schedules and optimiser settings."""

    steps: int = 500_000
    batch_size: int = 64
    # None/auto: the model kind's values (maae.kinds): the authors' 5 critic steps, RMSProp, lr 5e-4 (AE)
    # and 1e-4 (critic) for MAAE and WAE; 1 adversary step, Adam, 1e-3 and 5e-4 for WAE-GAN.
    critic_steps: int | None = None  # disc_training_ratio
    optimiser: Literal["auto", "rmsprop", "adam"] = "auto"
    lr_ae: float | None = None
    lr_critic: float | None = None
    lr_gen: float = 1e-4
    lr_mask: float = 5e-4
    rmsprop_decay: float = 0.9  # TF's default
    rmsprop_eps: float = 1e-10  # TF's default, inside the square root as TF has it
    # start of the squared-gradient average: 1 as in the authors' tf.train.RMSPropOptimizer (its "rms"
    # slot starts at ones); 0 as Keras and PyTorch start it.
    rmsprop_init: float = 1.0
    adam_beta1: float = 0.5  # Adam as TF's AdamOptimizer (Tolstikhin et al.: beta1 0.5, TF's beta2, eps)
    adam_beta2: float = 0.999
    adam_eps: float = 1e-8
    # lambda3 doubles every lambda3_interval iterations, before the mask updates of iterations
    # interval + 1, 2 interval + 1, ... (the authors' numbering); None: the authors' 4R, with
    # R = 75 if m <= 20 else min(10000, floor(112.5 m)).
    lambda3_interval: int | None = None
    # From iteration lr_drop_step on, the AE and mask updates shrink by lr_drop_factor. None: the
    # authors' drop after their 0-based step 5R, i.e. from iteration 5R + 2; with the mask off they
    # set R = 0, so the WAE's drop comes from iteration 2.
    # loss_scale (authors): the losses are multiplied by 1/factor (close to a no-op under RMSProp);
    # lr: the learning rates are divided by it; none: no drop. milestones (WAE-GAN): the AE and adversary
    # learning rates halve after 30% of the run and fall 5x more after 50% (Tolstikhin et al.'s epochs
    # 30 and 50 of 100). auto: the model kind's (loss_scale; WAE-GAN milestones).
    lr_drop: Literal["auto", "loss_scale", "lr", "milestones", "none"] = "auto"
    lr_drop_step: int | None = None
    lr_drop_factor: float = 5.0
    # When set, lambda3_interval, lr_drop_step, checkpoint_every and log_every are multiplied by
    # steps / schedule_reference_steps, so a short run follows the shape of a long one.
    schedule_reference_steps: int | None = None
    checkpoint_every: int = 5000
    log_every: int = 500
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = None  # torch CPU threads; None leaves torch's default
    bf16: bool = False  # opt-in bfloat16 autocast for the network passes
    # CUDA matmuls and convolutions in TF32 (10-bit mantissa): faster on Ampere and later GPUs, but not the
    # float32 the authors' graph computes in, so off unless asked for.
    tf32: bool = False
    # torch.use_deterministic_algorithms (and cuBLAS's fixed workspace): a GPU run repeats bit for bit on
    # the same GPU and software, at some cost in speed. CPU runs repeat without it.
    deterministic: bool = False
    progress: Literal["auto", "bar", "log", "none"] = "auto"


@dataclass(frozen=True)
class RunConfig:
    """One training run: a data set, a model and a training schedule."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **overrides: Any) -> RunConfig:
        """A copy with dotted-key overrides, e.g. ``replace(**{"model.m": 8})``, validated."""
        d = self.to_dict()
        for key, value in overrides.items():
            set_dotted(d, key, value)
        return from_dict(d)


_POSITIVE_INTS = {
    "data.n",
    "data.d",
    "data.hidden",
    "data.layers",
    "data.n_train",
    "data.n_test",
    "model.m",
    "model.width",
    "train.batch_size",
    "train.critic_steps",
    "train.lambda3_interval",
    "train.lr_drop_step",
    "train.schedule_reference_steps",
    "train.checkpoint_every",
    "train.log_every",
    "train.threads",
}
_NON_NEGATIVE = {
    "data.n_val",
    "data.generator_seed",
    "train.steps",
    "train.seed",
    "model.alpha1",
    "train.adam_beta1",
    "train.adam_beta2",
    "model.alpha2",
    "model.gamma",
    "model.gp_weight",
    "model.lambda1",
    "model.lambda2",
    "model.lambda3",
    "model.active_threshold",
    "data.negative_slope",
    "train.rmsprop_init",
}
_POSITIVE_FLOATS = {
    "model.theta_init_max",
    "model.lambda3_cap",
    "train.lr_ae",
    "train.lr_critic",
    "train.lr_gen",
    "train.lr_mask",
    "train.rmsprop_eps",
    "train.lr_drop_factor",
    "model.gan_lambda",
    "train.adam_eps",
}


def _check_value(key: str, hint: Any, value: Any) -> Any:
    """Coerce value to the field's type or raise ConfigError naming the key."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        args = get_args(hint)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _check_value(key, inner, value)
    if origin is Literal:
        if value not in get_args(hint):
            raise ConfigError(f"{key}: {value!r} is not one of {', '.join(map(str, get_args(hint)))}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, str):  # PyYAML reads 5e-4 (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                raise ConfigError(f"{key}: expected a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{key}: expected a finite number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported config type for {key}: {hint}")


def _build(cls: type, values: Any, prefix: str) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{prefix}: expected a mapping, got {values!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"{prefix}.{unknown[0]}: unknown option (known: {', '.join(sorted(names))})")
    kwargs = {}
    for name, value in values.items():
        key = f"{prefix}.{name}"
        if dataclasses.is_dataclass(hints[name]):
            kwargs[name] = _build(hints[name], value, key)
            continue
        value = _check_value(key, hints[name], value)
        if value is not None:
            if key in _POSITIVE_INTS and value < 1:
                raise ConfigError(f"{key}: must be at least 1, got {value}")
            if key in _NON_NEGATIVE and value < 0:
                raise ConfigError(f"{key}: must not be negative, got {value}")
            if key in _POSITIVE_FLOATS and value <= 0:
                raise ConfigError(f"{key}: must be positive, got {value}")
        kwargs[name] = value
    return cls(**kwargs)


def from_dict(values: dict[str, Any]) -> RunConfig:
    """Build and validate a RunConfig; missing keys take their defaults."""
    hints = typing.get_type_hints(RunConfig)
    if not isinstance(values, dict):
        raise ConfigError(f"config: expected a mapping, got {values!r}")
    unknown = sorted(set(values) - set(hints))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown section (known: data, model, train)")
    model = values.get("model", {})
    if isinstance(model, dict) and "mask" in model and "kind" not in model:
        # written before model.kind: mask true/false was MAAE/WAE
        values = {
            **values,
            "model": {**{k: v for k, v in model.items() if k != "mask"}, "kind": kind_of(model)},
        }
    cfg = RunConfig(**{k: _build(hints[k], values.get(k, {}), k) for k in hints})
    _check_consistency(cfg)
    return cfg


# The data each network is built for: the synthetic MLP's linear decoder for real-valued vectors, the
# image networks' sigmoid decoders for [0, 1] images of their own shapes (the dense MLPs: any image).
ARCHITECTURE_DATA = {
    "synthetic_mlp": ("synthetic",),
    "conv28": ("mnist", "fashion_mnist"),
    "cifar_res": ("cifar10",),
    "celeba_res": ("celeba",),
}


def _check_consistency(cfg: RunConfig) -> None:
    from maae.nets import ARCHITECTURES, MLP_ARCHITECTURES, default_arch  # local: nets import torch

    if cfg.model.kind not in MODEL_KINDS:
        raise ConfigError(f"model.kind: {cfg.model.kind!r} is not one of {', '.join(MODEL_KINDS)}")
    arch = cfg.model.arch
    if arch != "auto" and arch not in ARCHITECTURES:
        raise ConfigError(f"model.arch: {arch!r} is not one of auto, {', '.join(sorted(ARCHITECTURES))}")
    arch = default_arch(cfg.data.name) if arch == "auto" else arch
    fits = ARCHITECTURE_DATA.get(arch, tuple(IMAGE_DATASETS))
    if cfg.data.name not in fits:
        raise ConfigError(
            f"model.arch: {arch} is a network for {', '.join(fits)}, not {cfg.data.name} (its shapes or its "
            "output range do not fit)"
        )
    if cfg.model.width is not None and arch not in MLP_ARCHITECTURES:
        raise ConfigError(
            f"model.width: applies to the MLP architectures ({', '.join(MLP_ARCHITECTURES)}), not {arch}"
        )
    for key in ("rmsprop_decay", "adam_beta1", "adam_beta2"):
        if not 0 <= getattr(cfg.train, key) < 1:
            raise ConfigError(f"train.{key}: must be in [0, 1), got {getattr(cfg.train, key)}")
    if cfg.model.active_threshold > 1:
        raise ConfigError(f"model.active_threshold: must be in [0, 1], got {cfg.model.active_threshold}")
    if cfg.data.name == "synthetic" and cfg.model.recon in ("bce", "bce_clipped"):
        raise ConfigError(
            f"model.recon: {cfg.model.recon} needs data in [0, 1]; synthetic data is not (use l2 or mse)"
        )
    if cfg.model.init != "authors" and arch != "dense1024":
        raise ConfigError(f"model.init: applies to dense1024 only, not {arch} (PyTorch's defaults)")


def set_dotted(d: dict[str, Any], key: str, value: Any) -> None:
    """Set d['a']['b'] for key 'a.b', creating sections as needed."""
    *sections, leaf = key.split(".")
    if not sections:
        raise ConfigError(f"{key}: expected section.option, e.g. model.m")
    for section in sections:
        d = d.setdefault(section, {})
        if not isinstance(d, dict):
            raise ConfigError(f"{key}: {section} is not a section")
    d[leaf] = value


def parse_override(text: str) -> tuple[str, Any]:
    """'model.m=16' -> ('model.m', 16); the value is read as YAML (numbers, true, null, lists, text), except
    that a number must look like one: YAML 1.1 reads 010 as 8, 1:30 as 90 and 0x10 as 16, which stay text
    here (and so fail validation, naming the key), and 1e4 is the number 10000.0 rather than text."""
    if "=" not in text:
        raise ConfigError(f"{text}: expected key=value, e.g. model.m=16")
    key, raw = (part.strip() for part in text.split("=", 1))
    if not raw:
        return key, ""
    if re.fullmatch(r"[-+]?\d+", raw):
        return key, int(raw, 10)
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", raw):
        return key, float(raw)
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        raise ConfigError(f"{key}: cannot read {raw!r} as a value ({getattr(err, 'problem', err)})") from None
    return key, raw if isinstance(value, int | float) and not isinstance(value, bool) else value


def load(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Read a YAML or JSON config file (or the defaults), apply key=value overrides, validate."""
    values: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {p} does not exist")
        try:
            values = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"config file {p}: not YAML ({getattr(err, 'problem', err)})") from None
        if not isinstance(values, dict):
            raise ConfigError(f"config file {p}: expected a mapping at the top level")
    for text in overrides:
        set_dotted(values, *parse_override(text))
    return from_dict(values)


def resolve(cfg: RunConfig) -> RunConfig:
    """Make every implicit choice explicit, so that config.json says exactly what ran."""
    from maae.nets import default_arch

    model = cfg.model
    changes: dict[str, dict[str, Any]] = {"model": {}, "train": {}}
    for key, value in MODEL_KINDS[model.kind].defaults.items():
        section, name = key.split(".")
        if getattr(getattr(cfg, section), name) in (None, "auto"):
            changes[section][name] = value
    if model.arch == "auto":
        changes["model"]["arch"] = default_arch(cfg.data.name)
    if model.recon == "auto" and "recon" not in changes["model"]:
        changes["model"]["recon"] = "mse" if cfg.data.name == "synthetic" else "bce_clipped"
    if model.lambda3 is None:
        changes["model"]["lambda3"] = 2.0 / model.m
    return dataclasses.replace(
        cfg,
        model=dataclasses.replace(model, **changes["model"]),
        train=dataclasses.replace(cfg.train, **changes["train"]),
    )


def dumps(cfg: RunConfig) -> str:
    return json.dumps(cfg.to_dict(), indent=2, sort_keys=True)
