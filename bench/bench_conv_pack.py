"""Would packing pay for the convolutional families? Model-iterations/s of their convolution stacks run one
network at a time against K networks as one grouped convolution (issue 15: "measure before you build").

A pack of K conv networks stacks its members' images along the channel axis and turns every convolution into
one with ``groups=K`` (and every batch norm into one over K times the channels): the layout a packed conv
trainer would use. This times forward and backward through the encoder's convolutions and the decoder's
transposed convolutions (with their residual blocks) of ``maae.nets.conv``'s conv28 (MNIST, Fashion),
cifar_res and celeba_res, batch 64: the part of an iteration that packing would change (their fully
connected layers and critics pack as the MLPs do, ``maae.pack``). Before timing, the grouped stack is
checked to compute each member's own stack (weights copied in).

    .venv/bin/python bench/bench_conv_pack.py                 # CPU, one thread (as a workflow job)
    .venv/bin/python bench/bench_conv_pack.py --device cuda --json conv_pack.json
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_train import sync

from maae import provenance
from maae.nets.blocks import ConvResBlock
from maae.nets.conv import celeba_res, cifar_res, conv28
from maae.train import pick_device

ARCHS = {
    "conv28": (conv28, (1, 28, 28)),
    "cifar_res": (cifar_res, (3, 32, 32)),
    "celeba_res": (celeba_res, (3, 64, 64)),
}
M = 64


def conv_stacks(arch: str) -> tuple[nn.Sequential, nn.Sequential, tuple[int, ...], tuple[int, ...]]:
    """The encoder's layers before Flatten and the decoder's after Unflatten, with their input shapes."""
    build, shape = ARCHS[arch]
    nets = build(M, shape)
    enc = list(nets.encoder)
    dec = list(nets.decoder)
    cut = next(i for i, layer in enumerate(dec) if isinstance(layer, nn.Unflatten))
    return (
        nn.Sequential(*enc[: next(i for i, layer in enumerate(enc) if isinstance(layer, nn.Flatten))]),
        nn.Sequential(*dec[cut + 1 :]),
        shape,
        tuple(dec[cut].unflattened_size),
    )


def grouped(module: nn.Module, k: int) -> nn.Module:
    """The same layers for K members at once: channels times K, every convolution with groups=K."""
    if isinstance(module, nn.Sequential):
        return nn.Sequential(*(grouped(layer, k) for layer in module))
    if isinstance(module, ConvResBlock):
        block = copy.deepcopy(module)
        block.branch = grouped(module.branch, k)
        return block
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        c_in, c_out = module.in_channels * k, module.out_channels * k
        return type(module)(
            c_in,
            c_out,
            module.kernel_size,
            module.stride,
            module.padding,
            groups=k,
            bias=module.bias is not None,
        )
    if isinstance(module, nn.BatchNorm2d):
        return nn.BatchNorm2d(module.num_features * k)
    if isinstance(module, nn.ReLU | nn.Identity):
        return module
    raise TypeError(f"no grouped form for {type(module).__name__}")


def load_members(pack: nn.Module, members: list[nn.Module]) -> None:
    """Each member's weights into its group: every grouped tensor is the members' stacked along dim 0."""
    states = [member.state_dict() for member in members]
    pack.load_state_dict(
        {
            key: states[0][key] if value.ndim == 0 else torch.cat([s[key] for s in states])
            for key, value in pack.state_dict().items()
        }
    )


def check_grouping(stack: nn.Sequential, shape: tuple[int, ...], k: int = 3) -> float:
    """The largest gap between the grouped stack's output for each member and that member's own stack."""
    members = [copy.deepcopy(stack) for _ in range(k)]
    for i, member in enumerate(members):
        torch.manual_seed(i)
        for p in member.parameters():
            nn.init.normal_(p, std=0.1)
    pack = grouped(stack, k)
    load_members(pack, members)
    x = [torch.randn(2, *shape) for _ in range(k)]
    with torch.no_grad():
        out = pack(torch.cat(x, dim=1)).chunk(k, dim=1)
        return max(float((o - member(xi)).abs().max()) for o, member, xi in zip(out, members, x, strict=True))


def rate(stack: nn.Module, x: torch.Tensor, device: torch.device, seconds: float) -> float:
    """Forward and backward passes per second (after warm-up)."""

    def once() -> None:
        stack(x).square().mean().backward()

    once()  # warm-up
    sync(device)
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        once()
        done += 1
    sync(device)
    return done / (time.perf_counter() - t0)


def measure(
    arch: str, packs: list[int], device: torch.device, batch: int, seconds: float
) -> list[dict[str, Any]]:
    rows = []
    encoder, decoder, enc_shape, dec_shape = conv_stacks(arch)
    for part, stack, shape in (("encoder", encoder, enc_shape), ("decoder", decoder, dec_shape)):
        gap = check_grouping(stack, shape)
        if gap > 1e-3:
            raise AssertionError(
                f"{arch} {part}: the grouped stack is not its members' stacks (gap {gap:.1e})"
            )
        print(f"{arch} {part}: grouped output vs each member's own, largest gap {gap:.1e}", flush=True)
        solo = None
        for k in packs:
            net = (stack if k == 1 else grouped(stack, k)).to(device)
            x = torch.randn(batch, shape[0] * k, *shape[1:], device=device)
            model_its = k * statistics.median(rate(net, x, device, seconds) for _ in range(3))
            solo = solo or model_its
            its = {"model_iterations_per_second": round(model_its, 2), "x_solo": round(model_its / solo, 3)}
            rows.append({"arch": arch, "part": part, "pack": k, "grouping_gap": gap, **its})
            print(
                f"{arch:10s} {part:8s} K={k:3d}: {model_its:9.2f} model-it/s  x{model_its / solo:5.2f} solo",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--archs", default="conv28,cifar_res,celeba_res")
    p.add_argument("--packs", default="1,4,8,17", help="pack sizes, comma-separated (17: Figure 4c's grid)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seconds", type=float, default=1.0, help="timed seconds per repeat (3 repeats per row)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", type=Path, help="write the rows and the machine here")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    packs = [int(k) for k in args.packs.split(",")]
    rows = [
        row
        for arch in args.archs.split(",")
        for row in measure(arch, packs, device, args.batch, args.seconds)
    ]
    if args.json:
        out = {"device": provenance.device_name(device), "torch": torch.__version__, "threads": args.threads,
               "batch": args.batch, "code_version": provenance.code_version(), "rows": rows}  # fmt: skip
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
