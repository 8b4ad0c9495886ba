"""bench/bench_conv_pack.py measures what it says: its grouped stacks compute each member's own stack."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_conv_pack


@pytest.mark.parametrize("arch", sorted(bench_conv_pack.ARCHS))
def test_grouped_stacks_are_their_members_stacks(arch: str) -> None:
    encoder, decoder, enc_shape, dec_shape = bench_conv_pack.conv_stacks(arch)
    assert any(isinstance(layer, nn.Conv2d) for layer in encoder.modules())
    assert any(isinstance(layer, nn.ConvTranspose2d) for layer in decoder.modules())
    for stack, shape in ((encoder, enc_shape), (decoder, dec_shape)):
        assert bench_conv_pack.check_grouping(stack, shape) < 1e-4


def test_a_layer_without_a_grouped_form_is_refused() -> None:
    with pytest.raises(TypeError, match="no grouped form for Linear"):
        bench_conv_pack.grouped(nn.Sequential(nn.Linear(2, 2)), 2)
