"""Encoder E, decoder D and latent critic H for each data set (supp. §9.3-9.4, authors' script).

Decoders return logits; ``decoder.output_activation`` ("sigmoid" or "identity") names the
activation the caller applies, so that BCE can work on logits.
"""

from __future__ import annotations

from collections.abc import Callable

from maae.nets.blocks import Networks
from maae.nets.conv import celeba_res, cifar_res, conv28
from maae.nets.mlp import dense1024, mlp1024, synthetic_mlp

Builder = Callable[[int, tuple[int, ...], int | None], Networks]

ARCHITECTURES: dict[str, Builder] = {
    "synthetic_mlp": synthetic_mlp,
    "dense1024": dense1024,
    "mlp1024": mlp1024,
    "conv28": conv28,
    "cifar_res": cifar_res,
    "celeba_res": celeba_res,
}

# The architectures whose hidden width model.width may override.
MLP_ARCHITECTURES = ("synthetic_mlp", "dense1024", "mlp1024")

# MNIST and Fashion follow the authors' script (the only released networks), the rest the paper.
_DEFAULTS = {
    "synthetic": "synthetic_mlp",
    "mnist": "dense1024",
    "fashion_mnist": "dense1024",
    "cifar10": "cifar_res",
    "celeba": "celeba_res",
}


def default_arch(dataset: str) -> str:
    if dataset not in _DEFAULTS:
        raise ValueError(f"no default architecture for data set {dataset!r} (known: {', '.join(_DEFAULTS)})")
    return _DEFAULTS[dataset]


def build_networks(
    arch: str, m: int, data_shape: tuple[int, ...], width: int | None = None, init: str = "authors"
) -> Networks:
    """Build (E, D, H) for latent size ``m``; ``width`` overrides the hidden width of MLP archs only,
    ``init`` chooses dense1024's initial weights (the others keep PyTorch's defaults)."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown arch {arch!r} (known: {', '.join(ARCHITECTURES)})")
    if m < 1:
        raise ValueError(f"m must be >= 1, got m={m}")
    if width is not None and width < 1:
        raise ValueError(f"width must be >= 1, got width={width}")
    if arch == "dense1024":
        return dense1024(m, tuple(data_shape), width, init=init)
    return ARCHITECTURES[arch](m, tuple(data_shape), width)


__all__ = ["ARCHITECTURES", "MLP_ARCHITECTURES", "Networks", "build_networks", "default_arch"]
