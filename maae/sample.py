"""Drawing from a trained model and encoding a data set (for NAC and the covariance figures)."""

from __future__ import annotations

import torch

from maae.data import to_model_input
from maae.model import MaskAAE


@torch.no_grad()
def sample(model: MaskAAE, n: int, generator: torch.Generator, batch_size: int = 1000) -> torch.Tensor:
    """n samples D(mu * z), z ~ N(0, I_m) drawn from ``generator`` (all at once, so the samples do
    not depend on ``batch_size``), returned on the CPU; the model is put in eval mode."""
    model.eval()
    device = next(model.parameters()).device
    z_all = torch.randn((n, model.m), generator=generator)
    out = [model.decode(z.to(device)).float().cpu() for z in z_all.split(batch_size)]
    return torch.cat(out) if out else torch.empty(0)


@torch.no_grad()
def encode(model: MaskAAE, data: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Unmasked codes E(x) of every row of ``data``, in eval mode (mask them with model.mu())."""
    model.eval()
    device = next(model.parameters()).device
    out = [
        model.encoder(to_model_input(data[i : i + batch_size]).to(device)).float().cpu()
        for i in range(0, data.shape[0], batch_size)
    ]
    return torch.cat(out) if out else torch.empty(0, model.m)
