"""Convolutional architectures of supp. §9.4 for MNIST/Fashion, CIFAR-10 and CelebA.

Every strided CONV/TCONV with k=4, s=2 uses padding 1, so it exactly halves/doubles the size; the
k=3, s=1 convolutions use padding 1 (size kept). The paper gives no padding; these are the values
that make its stated sizes (7x7 -> 28x28, 2x2 -> 32x32, 2x2 -> 64x64) work out. None of these
builders takes a ``width``: their widths are the paper's, and a width given anyway is an error.
"""

from __future__ import annotations

from torch import nn

from maae.nets.blocks import ConvResBlock, Decoder, FcResBlock, Networks, critic_fc1000


def _down(c_in: int, c_out: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 4, 2, 1)


def _up(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1), nn.BatchNorm2d(c_out), nn.ReLU()]


def _fc_bn_relu(n_in: int, n_out: int) -> list[nn.Module]:
    return [nn.Linear(n_in, n_out), nn.BatchNorm1d(n_out), nn.ReLU()]


def _image_shape(
    arch: str, data_shape: tuple[int, ...], size: int | None, width: int | None
) -> tuple[int, int]:
    """Check (C, H, W); ``size`` None accepts any H, W divisible by 4. Returns (C, H)."""
    if width is not None:
        raise ValueError(f"{arch}: width={width} applies to MLP architectures only")
    ok = len(data_shape) == 3 and data_shape[1] == data_shape[2]
    ok = ok and (data_shape[1] == size if size else data_shape[1] % 4 == 0)
    if not ok:
        want = f"(C, {size}, {size})" if size else "(C, H, H) with H divisible by 4"
        raise ValueError(f"{arch}: data_shape must be {want}, got {data_shape}")
    return data_shape[0], data_shape[1]


def conv28(m: int, data_shape: tuple[int, ...], width: int | None = None) -> Networks:
    """REFERENCE.md's reading of supp. §9.4.1/9.4.2 for MNIST and Fashion (1x28x28).

    E: CONV64 -> BN -> ReLU -> CONV128 -> BN -> ReLU -> FC1024 -> BN -> ReLU -> FCm; D (DCGAN-style):
    FC1024 -> BN -> ReLU -> FC(7*7*128) -> BN -> ReLU -> 2x [TCONV128 -> BN -> ReLU] -> CONV(C) k3
    -> sigmoid; H: FC1000 critic (the block labelled H in §9.4.2).
    """
    c, size = _image_shape("conv28", data_shape, None, width)
    s = size // 4
    encoder = nn.Sequential(
        _down(c, 64), nn.BatchNorm2d(64), nn.ReLU(),
        _down(64, 128), nn.BatchNorm2d(128), nn.ReLU(),
        nn.Flatten(), *_fc_bn_relu(128 * s * s, 1024), nn.Linear(1024, m),
    )  # fmt: skip
    decoder = Decoder(
        *_fc_bn_relu(m, 1024), *_fc_bn_relu(1024, 128 * s * s), nn.Unflatten(1, (128, s, s)),
        *_up(128, 128), *_up(128, 128), nn.Conv2d(128, c, 3, 1, 1),
        output_activation="sigmoid",
    )  # fmt: skip
    return Networks(encoder, decoder, critic_fc1000(m))


def _res_decoder(m: int, c_out: int, base: int, widths: list[int]) -> Decoder:
    """FC(2*2*base) -> BN -> ReLU, then per width TCONV -> BN -> ReLU -> RES -> BN -> ReLU, CONV k3."""
    layers: list[nn.Module] = [*_fc_bn_relu(m, base * 4), nn.Unflatten(1, (base, 2, 2))]
    for c_in, c in zip([base, *widths], widths, strict=False):
        layers += [*_up(c_in, c), ConvResBlock(c), nn.BatchNorm2d(c), nn.ReLU()]
    layers.append(nn.Conv2d(widths[-1], c_out, 3, 1, 1))
    return Decoder(*layers, output_activation="sigmoid")


def cifar_res(m: int, data_shape: tuple[int, ...], width: int | None = None) -> Networks:
    """Supp. §9.4.3 (CIFAR-10, 3x32x32).

    E: CONV128 -> BN -> ReLU -> CONV128 -> BN -> ReLU -> CONV256 -> BN -> ReLU -> FC1024 -> BN ->
    ReLU -> FCm; D: FC(2*2*512), then 4x [TCONV256 -> BN -> ReLU -> RES256 -> BN -> ReLU] (2 -> 32),
    CONV3 k3 -> sigmoid (the paper's second "CONV_TCONV256" read as TCONV256); H: FC1000 critic.
    """
    c, _ = _image_shape("cifar_res", data_shape, 32, width)
    encoder = nn.Sequential(
        _down(c, 128), nn.BatchNorm2d(128), nn.ReLU(),
        _down(128, 128), nn.BatchNorm2d(128), nn.ReLU(),
        _down(128, 256), nn.BatchNorm2d(256), nn.ReLU(),
        nn.Flatten(), *_fc_bn_relu(256 * 4 * 4, 1024), nn.Linear(1024, m),
    )  # fmt: skip
    return Networks(encoder, _res_decoder(m, c, 512, [256] * 4), critic_fc1000(m))


def celeba_res(m: int, data_shape: tuple[int, ...], width: int | None = None) -> Networks:
    """Supp. §9.4.4 (CelebA, 3x64x64), taken literally: no ReLU between the encoder's stages.

    E: CONV16 k3 -> BN -> RES16 -> CONV32 -> RES32 -> CONV64 -> RES64 -> CONV64 -> RES64 ->
    flatten -> FC512 -> FC_RES512 -> FCm (the FC512 is ours: the paper goes from the 8x8x64 map
    straight to FC_RES_BLOCK512, which needs a 512-wide input); the only non-linearities are inside
    the residual blocks. D: FC(2*2*16), then [TCONV c -> BN -> ReLU -> RES c -> BN -> ReLU] for
    c = 32..512 (2 -> 64), CONV3 k3 -> sigmoid; H: FC1000 critic.
    """
    c, _ = _image_shape("celeba_res", data_shape, 64, width)
    encoder = nn.Sequential(
        nn.Conv2d(c, 16, 3, 1, 1), nn.BatchNorm2d(16), ConvResBlock(16),
        _down(16, 32), ConvResBlock(32),
        _down(32, 64), ConvResBlock(64),
        _down(64, 64), ConvResBlock(64),
        nn.Flatten(), nn.Linear(64 * 8 * 8, 512), FcResBlock(512), nn.Linear(512, m),
    )  # fmt: skip
    return Networks(encoder, _res_decoder(m, c, 16, [32, 64, 128, 256, 512]), critic_fc1000(m))
