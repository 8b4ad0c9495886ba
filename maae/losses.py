"""The four losses of supplement §9.1 (Eqs. 15-18), one function each, plus their parts, and beside
them the two of WAE-GAN's Jensen-Shannon adversary (Tolstikhin et al.).

Codes are passed unmasked (z_hat = E(x), z ~ N(0, I)) together with mu, so that each loss applies
the mask exactly where the equation does. The WAE passes mu = 1.

Tensors are laid out [*pack, B, ...]: one run's codes are [B, m] and its mask [m]; a pack of K runs
trained together (maae.pack) adds a leading member axis, its codes [K, B, m], its mask [K, m], and every
loss then returns one value per member ([K]) whose sum has each member's own gradient. So every reduction
below runs over the batch axis and the ones after it, never over the members; a weight may be a float
or one value per member.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# Keras's epsilon: the authors' BinaryCrossentropy clips probabilities to [eps, 1 - eps].
KERAS_EPSILON = 1e-7


Weight = float | torch.Tensor  # one value, or one per member of a pack ([K])


def masked(mu: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """mu * z for codes [*pack, B, m] and a mask [*pack, m]."""
    return mu.unsqueeze(-2) * z


def reconstruction(
    x: torch.Tensor, logits: torch.Tensor, activation: str, kind: str, batch_dims: int = 1
) -> torch.Tensor:
    """Mean over the batch of the reconstruction error, the first term of Eqs. 15 and 18. ``batch_dims``
    leading axes index samples: 1 for one run's [B, ...], 2 for a pack's [K, B, ...].

    ``l2``: ||x - x_hat|| per sample (the paper's norm); ``l2sq``: ||x - x_hat||^2 per sample
    (Tolstikhin et al.'s cost, which they weight by 0.05); ``mse``: mean squared error;
    ``bce_clipped``: the authors' Keras BinaryCrossentropy on sigmoid probabilities, clipped to
    [eps, 1 - eps] and averaged over pixels, -mean(x log(p + eps) + (1 - x) log(1 - p + eps)): a
    pixel whose probability is clipped gets no gradient; ``bce``: the same from logits, unclipped.
    """
    if kind in ("bce", "bce_clipped") and activation != "sigmoid":
        raise ValueError(f"{kind} reconstruction needs a sigmoid decoder (data in [0, 1])")
    per_run = batch_dims - 1  # the axes that index runs
    if kind == "bce":
        if not per_run:  # the fused mean, whose gradient rounds otherwise than an explicit mean's
            return F.binary_cross_entropy_with_logits(logits, x)
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        return bce.flatten(per_run).mean(-1)
    if kind == "bce_clipped":
        p = torch.sigmoid(logits).clamp(KERAS_EPSILON, 1.0 - KERAS_EPSILON)
        bce = x * torch.log(p + KERAS_EPSILON) + (1 - x) * torch.log(1 - p + KERAS_EPSILON)
        return -bce.flatten(per_run).mean(-1)
    x_hat = torch.sigmoid(logits) if activation == "sigmoid" else logits
    diff = (x - x_hat).flatten(batch_dims)
    if kind == "l2":
        return diff.pow(2).sum(-1).add(1e-12).sqrt().mean(-1)
    if kind == "l2sq":
        return diff.pow(2).sum(-1).mean(-1)
    if kind == "mse":
        return diff.pow(2).flatten(per_run).mean(-1)
    raise ValueError(f"unknown reconstruction loss {kind!r}")


def variance_penalty(
    z_hat: torch.Tensor,
    mu: torch.Tensor,
    gamma: Weight,
    form: str,
    live_dims: torch.Tensor | None = None,
) -> torch.Tensor:
    """The second term of Eq. 15 without alpha2: batch variance of the codes, weighted towards
    masked dimensions, so the encoder puts no information where the mask is closing.

    ``paper``: sum_j exp(-gamma mu_j) Var_j = delta^T diag(A).
    ``authors``: mean over batch and dims of (z - mean z)^2 exp(-gamma mu^2); in a pack whose codes are
    zero-padded to a common m, ``live_dims`` ([K]) holds each member's own m, the mean's count.
    """
    gamma = gamma.unsqueeze(-1) if isinstance(gamma, torch.Tensor) else gamma
    centred_sq = (z_hat - z_hat.mean(-2, keepdim=True)).pow(2)
    if form == "paper":
        return (torch.exp(-gamma * mu) * centred_sq.mean(-2)).sum(-1)
    if form == "authors":
        weighted = centred_sq * torch.exp(-gamma * mu.pow(2)).unsqueeze(-2)
        mean = weighted.flatten(-2).mean(-1)
        return mean if live_dims is None else mean * (mu.shape[-1] / live_dims)
    raise ValueError(f"unknown variance penalty form {form!r}")


def ae_loss(
    x: torch.Tensor,
    logits: torch.Tensor,
    z_hat: torch.Tensor,
    mu: torch.Tensor | None,
    *,
    activation: str,
    recon: str,
    alpha1: Weight,
    alpha2: Weight,
    gamma: Weight,
    var_form: str,
    batch_dims: int = 1,
    live_dims: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """L_ae (Eq. 15). Returns (loss, reconstruction term). With mu None (WAE) there is no penalty."""
    rec = reconstruction(x, logits, activation, recon, batch_dims)
    loss = alpha1 * rec
    if mu is not None:
        loss = loss + alpha2 * variance_penalty(z_hat, mu, gamma, var_form, live_dims)
    return loss, rec


def wasserstein_estimate(
    critic: nn.Module, prior_masked: torch.Tensor, code_masked: torch.Tensor
) -> torch.Tensor:
    """omega = mean H(mu*z) - mean H(mu*z_hat): the critic's Wasserstein estimate (Eq. 18)."""
    return _mean_output(critic, prior_masked) - _mean_output(critic, code_masked)


def _mean_output(net: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """The batch mean of a critic's (or adversary's) single output on codes [*pack, B, m]."""
    return net(z).flatten(-2).mean(-1)


def critic_loss(
    critic: nn.Module,
    z: torch.Tensor,
    z_hat: torch.Tensor,
    mu: torch.Tensor,
    beta: torch.Tensor,
    *,
    gp_weight: Weight,
    gp_point: str,
    gp_gradient: str = "autograd",
) -> tuple[torch.Tensor, torch.Tensor]:
    """L_dm (Eq. 17), WGAN-GP between the masked prior and the masked codes.

    Returns (loss, omega). ``beta`` holds one U[0, 1] draw per sample. ``masked`` (authors):
    the penalty is taken at beta*mu*z + (1-beta)*mu*z_hat with respect to that point;
    ``unmasked`` (Eq. 17 as printed): at z_avg = beta*z + (1-beta)*z_hat with respect to z_avg,
    which scales each gradient coordinate by mu_j. ``gp_gradient``: the critic's input gradient by
    autograd (a double backward) or written out (``closed_form``, ``relu_critic_gradient``).
    """
    prior, code = masked(mu, z), masked(mu, z_hat)
    h_prior, h_code = critic(torch.cat([prior, code], -2)).squeeze(-1).chunk(2, -1)
    omega = h_prior.mean(-1) - h_code.mean(-1)
    b = beta.unsqueeze(-1)
    if gp_point == "masked":
        point, scale = b * prior + (1 - b) * code, None
    elif gp_point == "unmasked":
        point, scale = b * z + (1 - b) * z_hat, mu.unsqueeze(-2)
    else:
        raise ValueError(f"unknown gradient-penalty point {gp_point!r}")
    if gp_gradient == "closed_form":
        grad = relu_critic_gradient(critic, point if scale is None else scale * point)
        grad = grad if scale is None else scale * grad
    elif gp_gradient == "autograd":
        point.requires_grad_(True)
        h_avg = critic(point if scale is None else masked(mu, point))
        (grad,) = torch.autograd.grad(h_avg.sum(), point, create_graph=True)
    else:
        raise ValueError(f"unknown gradient-penalty gradient {gp_gradient!r}")
    penalty = (grad.norm(dim=-1) - 1).pow(2).mean(-1)
    return -omega + gp_weight * penalty, omega


def relu_critic_gradient(critic: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """dH/dz for a critic of linear layers (y = x W^T + b, one run's or a pack's) and ReLUs, written out as
    the product of its weight matrices and ReLU patterns: ones @ W_L D_{L-1} ... D_1 W_1. Its gradient
    with respect to the weights is then a first-order one (the patterns are constant almost everywhere,
    as autograd's double backward of a ReLU also takes them), so training needs no double backward,
    which torch.compile and CUDA graphs cannot take."""
    layers, inputs, x = list(critic), [], z
    for layer in layers:
        inputs.append(x)
        x = layer(x)
    grad = torch.ones_like(x)
    for layer, x in zip(reversed(layers), reversed(inputs), strict=True):
        if isinstance(layer, nn.ReLU):
            grad = grad * (x > 0)
        elif hasattr(layer, "weight") and hasattr(layer, "bias"):
            grad = grad @ layer.weight
        else:
            raise ValueError(
                f"closed-form gradient penalty: {type(layer).__name__} is neither linear nor ReLU"
            )
    return grad


def generator_loss(critic: nn.Module, code_masked: torch.Tensor) -> torch.Tensor:
    """L_gen (Eq. 16): -mean H(mu*E(x)); the encoder moves its codes towards the prior."""
    return -_mean_output(critic, code_masked)


def binarising_term(mu: torch.Tensor) -> torch.Tensor:
    """sum_j |mu_j (mu_j - 1)|: zero only for a binary mask."""
    return (mu * (mu - 1)).abs().sum(-1)


def mask_loss(
    rec: torch.Tensor,
    omega: torch.Tensor,
    mu: torch.Tensor,
    lambda1: Weight,
    lambda2: Weight,
    lambda3: Weight,
) -> torch.Tensor:
    """L_mask (Eqs. 10 and 18): lambda1 recon + lambda2 (1 + omega)^2 + lambda3 sum|mu(mu - 1)|."""
    return lambda1 * rec + lambda2 * (1 + omega).pow(2) + lambda3 * binarising_term(mu)


def gan_adversary_loss(
    adversary: nn.Module, z: torch.Tensor, z_hat: torch.Tensor, gan_lambda: Weight
) -> tuple[torch.Tensor, torch.Tensor]:
    """WAE-GAN's latent adversary (Tolstikhin et al., Algorithm 1): lambda times the cross-entropy of
    telling prior draws (label 1) from codes (label 0) on D's logits, i.e. the standard
    (Jensen-Shannon) GAN loss. Returns (loss, its divergence estimate log 4 - CE_prior - CE_code,
    2 JS(P_z, Q_z) at the optimal adversary: 0 when it cannot tell them apart)."""
    logits_prior, logits_code = adversary(torch.cat([z, z_hat], -2)).squeeze(-1).chunk(2, -1)
    ce_prior = _cross_entropy(logits_prior, 1.0)
    ce_code = _cross_entropy(logits_code, 0.0)
    return gan_lambda * (ce_prior + ce_code), math.log(4.0) - (ce_prior + ce_code).detach()


def gan_penalty(adversary: nn.Module, z_hat: torch.Tensor) -> torch.Tensor:
    """The encoder's penalty D_GAN in WAE-GAN's objective, non-saturating as in their code:
    -mean log D(z_hat), the cross-entropy of the codes against the prior's label."""
    return _cross_entropy(adversary(z_hat).squeeze(-1), 1.0)


def _cross_entropy(logits: torch.Tensor, label: float) -> torch.Tensor:
    """The batch mean of the cross-entropy of logits [*pack, B] against one label."""
    target = torch.full_like(logits, label)
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(-1)
