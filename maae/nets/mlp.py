"""Fully connected architectures (synthetic data and the MNIST readings)."""

from __future__ import annotations

import math

import torch
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


# TF's truncated_normal keeps draws within 2 sd; this is the sd of N(0, 1) truncated there, which
# VarianceScaling divides out so that the kernels keep the Glorot variance.
_TRUNCATED_SD = 0.87962566103423978


def tf_glorot_normal_(weight: torch.Tensor) -> None:
    """TF's glorot_normal on a Linear weight (out, in): N(0, sd) truncated at +-2 sd,
    sd = sqrt(2 / (fan_in + fan_out)) / 0.8796, so the variance is 2 / (fan_in + fan_out)."""
    fan_out, fan_in = weight.shape
    sd = math.sqrt(2.0 / (fan_in + fan_out)) / _TRUNCATED_SD
    nn.init.trunc_normal_(weight, 0.0, sd, -2 * sd, 2 * sd)


def tf_glorot_uniform_bias_(bias: torch.Tensor) -> None:
    """TF's glorot_uniform on a bias of n units (fan_in = fan_out = n): U(+-sqrt(3 / n)). This is
    what tf.compat.v1.layers.dense draws when given bias_initializer=None, as the authors do."""
    limit = math.sqrt(3.0 / bias.shape[0])
    nn.init.uniform_(bias, -limit, limit)


def dense1024(
    m: int, data_shape: tuple[int, ...], width: int | None = None, init: str = "authors"
) -> Networks:
    """The authors' MNIST script (MaskAAE_MNIST.py): E, D, H with 4 hidden dense layers of 1024.

    ReLU, no batch norm. ``init`` (maae.config's model.init): ``authors`` draws kernels and biases as
    their TF graph does (tf_glorot_normal_, tf_glorot_uniform_bias_); ``xavier`` untruncated
    xavier_normal_ kernels (same variance) and zero biases. ``width`` replaces 1024.
    """
    d = math.prod(data_shape)
    hidden = [width or 1024] * 4
    nets = Networks(
        encoder=nn.Sequential(nn.Flatten(), *mlp([d, *hidden, m])),
        decoder=Decoder(*mlp([m, *hidden, d]), nn.Unflatten(1, data_shape), output_activation="sigmoid"),
        critic=nn.Sequential(*mlp([m, *hidden, 1])),
    )
    if init not in ("authors", "xavier"):
        raise ValueError(f"dense1024: init {init!r} is not one of authors, xavier")
    for net in nets:
        for layer in net.modules():
            if isinstance(layer, nn.Linear):
                if init == "authors":
                    tf_glorot_normal_(layer.weight)
                    tf_glorot_uniform_bias_(layer.bias)
                else:
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
