"""RMSProp and Adam as TensorFlow 1 computes them, in a few fused multi-tensor ops.

ms <- decay * ms + (1 - decay) * g^2;  p <- p - lr * g / sqrt(ms + eps).
TF puts eps inside the square root (PyTorch's RMSprop adds it outside) and its
tf.train.RMSPropOptimizer starts ms at 1 (``init=1.0``; Keras and PyTorch start at 0). Writing it
out also drops torch.optim's per-step bookkeeping, which costs more than the update itself for the
small networks of the synthetic setting.

``lr`` is a float, or for a pack (maae.pack) one rate per member ([K]) that scales each parameter's
leading member axis.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn


def _descend(
    params: list[torch.Tensor], num: list[torch.Tensor], denom: list[torch.Tensor], lr: float | torch.Tensor
) -> None:
    """p <- p - lr * num / denom, with one lr or one per member of a pack."""
    if not isinstance(lr, torch.Tensor):
        torch._foreach_addcdiv_(params, num, denom, value=-lr)
        return
    for p, step in zip(params, torch._foreach_div(num, denom), strict=True):
        p.sub_(step * lr.view(-1, *(1,) * (p.dim() - 1)))


class RMSProp:
    """A minimal optimiser with a torch.optim-like ``step``/``state_dict``/``load_state_dict``."""

    def __init__(
        self, params: Iterable[nn.Parameter], lr: float, decay: float, eps: float, init: float = 0.0
    ):
        self.params = list(params)
        self.lr, self.decay, self.eps = lr, decay, eps
        self.ms = [torch.full_like(p, init) for p in self.params]

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor]) -> None:
        torch._foreach_mul_(self.ms, self.decay)
        torch._foreach_addcmul_(self.ms, grads, grads, value=1.0 - self.decay)
        denom = torch._foreach_add(self.ms, self.eps)
        torch._foreach_sqrt_(denom)
        _descend(self.params, grads, denom, self.lr)

    def state_dict(self) -> dict:
        return {"lr": self.lr, "ms": [m.clone() for m in self.ms]}

    def load_state_dict(self, state: dict) -> None:
        self.lr = state["lr"]
        for m, saved in zip(self.ms, state["ms"], strict=True):
            m.copy_(saved)


class Adam:
    """Adam as TensorFlow 1's AdamOptimizer computes it (Tolstikhin et al.'s WAE-GAN optimiser):
    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  p <- p - lr_t m / (sqrt(v) + eps) with
    lr_t = lr sqrt(1 - b2^t) / (1 - b1^t), i.e. eps outside the bias correction (torch.optim.Adam puts
    it inside). Same interface as RMSProp."""

    def __init__(self, params: Iterable[nn.Parameter], lr: float, beta1: float, beta2: float, eps: float):
        self.params = list(params)
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor]) -> None:
        self.t += 1
        lr_t = self.lr * (1 - self.beta2**self.t) ** 0.5 / (1 - self.beta1**self.t)
        torch._foreach_lerp_(self.m, grads, 1 - self.beta1)
        torch._foreach_mul_(self.v, self.beta2)
        torch._foreach_addcmul_(self.v, grads, grads, value=1 - self.beta2)
        denom = torch._foreach_sqrt(self.v)
        torch._foreach_add_(denom, self.eps)
        _descend(self.params, self.m, denom, lr_t)

    def state_dict(self) -> dict:
        return {
            "lr": self.lr,
            "t": self.t,
            "m": [x.clone() for x in self.m],
            "v": [x.clone() for x in self.v],
        }

    def load_state_dict(self, state: dict) -> None:
        self.lr, self.t = state["lr"], state["t"]
        for mine, saved in zip(self.m + self.v, state["m"] + state["v"], strict=True):
            mine.copy_(saved)
