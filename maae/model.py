"""MaskAAE and its mask-off twin, the WAE: encoder, decoder, critic and (MAAE only) the mask."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from maae.config import RunConfig
from maae.kinds import kind
from maae.mask import Mask, active_dimensions
from maae.nets import build_networks


class MaskAAE(nn.Module):
    """E, D and H of supp. §9.3-9.4 with the mask layer of paper §4.1.

    With ``mask=None`` this is the WAE baseline of the paper: the same networks, mu = 1, no theta.
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        critic: nn.Module,
        mask: Mask | None,
        m: int,
        active_threshold: float,
    ):
        super().__init__()
        self.encoder, self.decoder, self.critic, self.mask = encoder, decoder, critic, mask
        self.m = m
        self.active_threshold = active_threshold
        self.register_buffer("ones", torch.ones(m), persistent=False)

    @property
    def output_activation(self) -> str:
        return self.decoder.output_activation

    def mu(self) -> torch.Tensor:
        return self.mask() if self.mask is not None else self.ones

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits) if self.output_activation == "sigmoid" else logits

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Data from (unmasked) codes: D(mu * z), activated."""
        return self.activate(self.decoder(self.mu() * z))

    def active_dimensions(self) -> int:
        return (
            active_dimensions(self.mu().detach(), self.active_threshold) if self.mask is not None else self.m
        )


def build_model(cfg: RunConfig, data_shape: tuple[int, ...], generator: torch.Generator) -> MaskAAE:
    """Networks initialised from torch's global RNG (seeded by the caller), theta from ``generator``."""
    mc = cfg.model
    nets = build_networks(mc.arch, mc.m, data_shape, width=mc.width, init=mc.init)
    mask = Mask(mc.m, mc.theta_init_max, mc.mask_param, generator) if kind(mc.kind).mask else None
    return MaskAAE(nets.encoder, nets.decoder, nets.critic, mask, mc.m, mc.active_threshold)


def load_trained(run_dir: str | Path, device: str | torch.device = "cpu") -> tuple[RunConfig, MaskAAE]:
    """The config and final weights of a finished run folder (``model.pt``, written last)."""
    from maae.config import from_dict
    from maae.data import data_shape

    path = Path(run_dir) / "model.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: the run in {run_dir} has not finished training")
    state = torch.load(path, map_location=device, weights_only=False)
    cfg = from_dict(state["config"])
    model = build_model(cfg, data_shape(cfg.data), torch.Generator())
    model.load_state_dict(state["model"])
    return cfg, model.to(device)
