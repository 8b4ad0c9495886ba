"""The mask mu = b(theta) of paper Eq. 10 and the count of active dimensions m_A."""

from __future__ import annotations

import torch
from torch import nn


class Mask(nn.Module):
    """A relaxed binary mask over the m latent dimensions.

    ``paper``: mu = max(0, 1 - exp(-theta)) with theta free; once theta < 0 the dimension gets no
    gradient and can never come back. ``authors``: theta is projected to theta >= 0 after every
    update (``project_``) and mu = 1 - exp(-theta), whose gradient at theta = 0 is 1, so a masked
    dimension can recover. Both draw theta ~ U[0, a] at the start.
    """

    def __init__(self, m: int, init_max: float, param: str, generator: torch.Generator | None = None):
        super().__init__()
        if param not in ("paper", "authors"):
            raise ValueError(f"mask parametrisation {param!r} is not one of paper, authors")
        self.param = param
        self.theta = nn.Parameter(torch.rand(m, generator=generator) * init_max)

    def forward(self) -> torch.Tensor:
        mu = 1.0 - torch.exp(-self.theta)
        return torch.clamp(mu, min=0.0) if self.param == "paper" else mu

    @torch.no_grad()
    def project_(self) -> None:
        """Keep theta in the feasible set after an optimiser step (the authors' constraint)."""
        if self.param == "authors":
            self.theta.clamp_(min=0.0)


def active_dimensions(mu: torch.Tensor, threshold: float) -> int:
    """m_A = #{j : mu_j >= threshold} (the authors count mu_j >= 0.1 as active)."""
    return int((mu >= threshold).sum().item())
