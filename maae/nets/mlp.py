"""Fully connected architectures (synthetic data and the MNIST readings)."""

from __future__ import annotations

import math

from torch import nn

from maae.nets.blocks import Decoder, Networks, mlp


def synthetic_mlp(m: int, data_shape: tuple[int, ...], width: int | None = None) -> Networks:
    """Supp. §9.3 as REFERENCE.md reads the scrambled block: one hidden layer per net.

    E: d -> FC1000 -> ReLU -> FCm; D: m -> FC1024 -> ReLU -> FCd (identity output, the synthetic
    data are real-valued; the paper's D block there shows an MNIST sigmoid output, a layout slip);
    H: m -> FC1024 -> ReLU -> FC1. PyTorch default init. ``width`` replaces 1000 and 1024.
    """
    d = math.prod(data_shape)
    enc_w, dec_w = (1000, 1024) if width is None else (width, width)
    return Networks(
        encoder=nn.Sequential(nn.Flatten(), *mlp([d, enc_w, m])),
        decoder=Decoder(*mlp([m, dec_w, d]), nn.Unflatten(1, data_shape), output_activation="identity"),
        critic=nn.Sequential(*mlp([m, dec_w, 1])),
    )


def dense1024(m: int, data_shape: tuple[int, ...], width: int | None = None) -> Networks:
    """The authors' MNIST script (MaskAAE_MNIST.py): E, D, H with 4 hidden dense layers of 1024.

    ReLU, no batch norm, Glorot-normal weights and zero biases. TF's glorot_normal draws from a
    truncated normal rescaled to the Glorot variance; xavier_normal_ has the same variance untruncated.
    ``width`` replaces 1024.
    """
    d = math.prod(data_shape)
    hidden = [width or 1024] * 4
    nets = Networks(
        encoder=nn.Sequential(nn.Flatten(), *mlp([d, *hidden, m])),
        decoder=Decoder(*mlp([m, *hidden, d]), nn.Unflatten(1, data_shape), output_activation="sigmoid"),
        critic=nn.Sequential(*mlp([m, *hidden, 1])),
    )
    for net in nets:
        for layer in net.modules():
            if isinstance(layer, nn.Linear):
                nn.init.xavier_normal_(layer.weight)
                nn.init.zeros_(layer.bias)
    return nets


def mlp1024(m: int, data_shape: tuple[int, ...], width: int | None = None) -> Networks:
    """The other reading of the scrambled supp. §9.4.1 MNIST block: one hidden layer per net.

    E: flatten -> FC1024 -> ReLU -> FCm; D: m -> FC1024 -> ReLU -> FC(prod shape) -> sigmoid;
    H: m -> FC1000 -> ReLU -> FC1. PyTorch default init. ``width`` replaces 1024 and 1000.
    """
    d = math.prod(data_shape)
    ae_w, critic_w = (1024, 1000) if width is None else (width, width)
    return Networks(
        encoder=nn.Sequential(nn.Flatten(), *mlp([d, ae_w, m])),
        decoder=Decoder(*mlp([m, ae_w, d]), nn.Unflatten(1, data_shape), output_activation="sigmoid"),
        critic=nn.Sequential(*mlp([m, critic_w, 1])),
    )
