"""Building blocks shared by every architecture."""

from __future__ import annotations

import itertools
from typing import NamedTuple

from torch import Tensor, nn


class Networks(NamedTuple):
    encoder: nn.Module
    decoder: nn.Module
    critic: nn.Module


class Decoder(nn.Sequential):
    """A decoder returning logits; the caller applies ``output_activation`` (so BCE can take logits)."""

    def __init__(self, *layers: nn.Module, output_activation: str) -> None:
        super().__init__(*layers)
        if output_activation not in ("sigmoid", "identity"):
            raise ValueError(f"output_activation must be sigmoid or identity, got {output_activation!r}")
        self.output_activation = output_activation


def mlp(sizes: list[int]) -> list[nn.Module]:
    """Linear layers through ``sizes`` with a ReLU between consecutive ones (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        if i:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(n_in, n_out))
    return layers


def critic_fc1000(m: int) -> nn.Sequential:
    """H: m -> FC1000 -> ReLU -> FC1, the critic of supp. §9.4.2, reused by §9.4.3-9.4.4."""
    return nn.Sequential(*mlp([m, 1000, 1]))


class ConvResBlock(nn.Module):
    """x + conv3x3 -> BN -> ReLU -> conv3x3 (x), channels and size kept.

    The paper names CONV_RES_BLOCK without defining it; this is our reading (a standard
    two-convolution residual block; the BN -> ReLU after it in the paper's layouts sits outside).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.branch = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, 1, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.branch(x)


class FcResBlock(nn.Module):
    """x + Linear -> BN -> ReLU -> Linear (x): FC_RES_BLOCK, our reading as for ConvResBlock."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.branch = nn.Sequential(
            nn.Linear(features, features),
            nn.BatchNorm1d(features),
            nn.ReLU(),
            nn.Linear(features, features),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.branch(x)
