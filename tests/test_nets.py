"""Shapes, output activations, gradient flow and init of every architecture in maae.nets."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from maae.config import DATASETS
from maae.nets import ARCHITECTURES, Networks, build_networks, default_arch

SHAPES = {
    "synthetic_mlp": [(128,), (20,)],
    "dense1024": [(1, 28, 28)],
    "mlp1024": [(1, 28, 28)],
    "conv28": [(1, 28, 28)],
    "cifar_res": [(3, 32, 32)],
    "celeba_res": [(3, 64, 64)],
}
CASES = [(arch, shape) for arch, shapes in SHAPES.items() for shape in shapes]
BATCH = 2  # >= 2 for batch norm in training mode; small so celeba_res stays fast


def test_every_architecture_is_tested() -> None:
    assert set(SHAPES) == set(ARCHITECTURES)


@pytest.mark.parametrize("m", [1, 8, 64])
@pytest.mark.parametrize(("arch", "shape"), CASES)
def test_output_shapes(arch: str, shape: tuple[int, ...], m: int) -> None:
    nets = build_networks(arch, m, shape)
    assert isinstance(nets, Networks)
    with torch.no_grad():
        z = nets.encoder(torch.rand(BATCH, *shape))
        assert z.shape == (BATCH, m)
        assert nets.decoder(z).shape == (BATCH, *shape)
        assert nets.critic(z).shape == (BATCH, 1)


@pytest.mark.parametrize(
    ("arch", "activation"),
    [("synthetic_mlp", "identity")] + [(a, "sigmoid") for a in SHAPES if a != "synthetic_mlp"],
)
def test_output_activation(arch: str, activation: str) -> None:
    assert build_networks(arch, 4, SHAPES[arch][0]).decoder.output_activation == activation


def test_default_arch() -> None:
    expected = {
        "synthetic": "synthetic_mlp",
        "mnist": "dense1024",
        "fashion_mnist": "dense1024",
        "cifar10": "cifar_res",
        "celeba": "celeba_res",
    }
    assert set(expected) == set(DATASETS)
    for dataset, arch in expected.items():
        assert default_arch(dataset) == arch
        assert arch in ARCHITECTURES


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="nope"):
        build_networks("nope", 8, (128,))
    with pytest.raises(ValueError, match="m=0"):
        build_networks("synthetic_mlp", 0, (128,))
    with pytest.raises(ValueError, match="imagenet"):
        default_arch("imagenet")
    with pytest.raises(ValueError, match="cifar_res"):
        build_networks("cifar_res", 8, (3, 28, 28))
    with pytest.raises(ValueError, match="width"):
        build_networks("conv28", 8, (1, 28, 28), width=256)


@pytest.mark.parametrize(("arch", "shape"), CASES[1:])  # (20,) covers synthetic_mlp
def test_gradients_reach_every_parameter(arch: str, shape: tuple[int, ...]) -> None:
    nets = build_networks(arch, 8, shape)
    z = nets.encoder(torch.rand(BATCH, *shape))
    (nets.decoder(z).square().mean() + nets.critic(z).mean()).backward()
    for name, net in nets._asdict().items():
        for pname, p in net.named_parameters():
            assert p.grad is not None, f"{arch}.{name}.{pname} got no gradient"
            assert torch.isfinite(p.grad).all(), f"{arch}.{name}.{pname} has a non-finite gradient"


@pytest.mark.parametrize("arch", ["synthetic_mlp", "dense1024", "mlp1024"])
def test_width_overrides_mlp_hidden_layers(arch: str) -> None:
    nets = build_networks(arch, 8, SHAPES[arch][0], width=32)
    for net in nets:
        linears = [layer for layer in net.modules() if isinstance(layer, nn.Linear)]
        assert all(layer.out_features == 32 for layer in linears[:-1])


def _linears(init: str) -> list[nn.Linear]:
    nets = build_networks("dense1024", 64, (1, 28, 28), init=init)
    linears = [layer for net in nets for layer in net.modules() if isinstance(layer, nn.Linear)]
    assert len(linears) == 15  # 5 per net
    return linears


def test_dense1024_authors_init() -> None:
    """As the authors' TF graph: truncated glorot_normal kernels, glorot_uniform biases U(+-sqrt(3/n))."""
    for layer in _linears("authors"):
        fan_out, fan_in = layer.weight.shape
        glorot = math.sqrt(2 / (fan_in + fan_out))
        w = layer.weight.detach()
        assert w.std().item() == pytest.approx(glorot, rel=0.05 if w.numel() > 5000 else 0.3)
        assert w.abs().max().item() <= 2 * glorot / 0.87962566103423978 * (1 + 1e-6)  # 2.27 sd at most
        limit = math.sqrt(3 / fan_out)
        b = layer.bias.detach()
        assert b.abs().max().item() <= limit
        if b.numel() >= 1024:
            assert b.std().item() == pytest.approx(limit / math.sqrt(3), rel=0.1)
    square = [layer.weight for layer in _linears("authors") if layer.weight.shape == (1024, 1024)]
    assert len(square) == 9
    # truncation: nothing beyond 2.27 sd, where an untruncated normal puts 2.3% of its draws
    assert max(w.abs().max().item() / w.std().item() for w in square) < 2.3


def test_dense1024_xavier_init_is_one_option_away() -> None:
    linears = _linears("xavier")
    assert all(torch.count_nonzero(layer.bias) == 0 for layer in linears)
    square = [layer.weight for layer in linears if layer.weight.shape == (1024, 1024)]
    glorot = math.sqrt(2 / (1024 + 1024))
    for w in square:
        assert w.std().item() == pytest.approx(glorot, rel=0.05)
        assert w.abs().max().item() > 3 * glorot  # untruncated
    with pytest.raises(ValueError, match="init"):
        build_networks("dense1024", 8, (1, 28, 28), init="zeros")
