"""The mask parametrisation and each loss of supp. §9.1 on tiny cases worked out by hand."""

import math

import pytest
import torch
from torch import nn

from maae import losses
from maae.mask import Mask, active_dimensions


class Linear1(nn.Module):
    """H(z) = w . z + c: a critic whose gradient is w everywhere."""

    def __init__(self, w: list[float], c: float = 0.0):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w))
        self.c = c

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (z @ self.w + self.c).unsqueeze(1)


@pytest.mark.parametrize("param", ["paper", "authors"])
def test_mask_value_and_gradient(param):
    mask = Mask(3, 5.0, param)
    with torch.no_grad():
        mask.theta.copy_(torch.tensor([0.0, math.log(2.0), 2.0]))
    mu = mask()
    assert torch.allclose(mu, torch.tensor([0.0, 0.5, 1 - math.exp(-2.0)]))
    mu.sum().backward()
    # d mu / d theta = exp(-theta) for theta > 0; at theta = 0 the authors' form keeps gradient 1,
    # while the paper's max(0, .) sits on its kink and passes none.
    expected = torch.exp(-mask.theta.detach())
    if param == "paper":
        expected[0] = 0.0
    assert torch.allclose(mask.theta.grad, expected)


def test_paper_mask_is_dead_below_zero_and_authors_mask_is_projected():
    paper, authors = Mask(2, 1.0, "paper"), Mask(2, 1.0, "authors")
    for mask in (paper, authors):
        with torch.no_grad():
            mask.theta.copy_(torch.tensor([-0.5, 1.0]))
    mu = paper()
    assert mu[0] == 0
    mu.sum().backward()
    assert paper.theta.grad[0] == 0  # a closed paper-mask dimension gets no gradient
    authors.project_()
    assert authors.theta.tolist() == [0.0, 1.0]
    paper.project_()
    assert paper.theta[0] == -0.5


def test_mask_init_range_and_bad_param():
    g = torch.Generator().manual_seed(0)
    mask = Mask(1000, 5.0, "authors", g)
    theta = mask.theta.detach()
    assert 0 <= theta.min() and theta.max() <= 5 and theta.mean().item() == pytest.approx(2.5, abs=0.2)
    with pytest.raises(ValueError, match="nonsense"):
        Mask(3, 5.0, "nonsense")


def test_active_dimensions_threshold():
    assert active_dimensions(torch.tensor([0.0, 0.09, 0.1, 0.7, 1.0]), 0.1) == 3
    assert active_dimensions(torch.tensor([0.0, 0.09, 0.1, 0.7, 1.0]), 0.5) == 2


def test_reconstruction_terms():
    x = torch.tensor([[0.0, 3.0], [1.0, 1.0]])
    x_hat = torch.tensor([[4.0, 0.0], [1.0, 1.0]])  # errors: norm 5 and 0
    assert losses.reconstruction(x, x_hat, "identity", "l2").item() == pytest.approx(2.5, abs=1e-5)
    assert losses.reconstruction(x, x_hat, "identity", "mse").item() == pytest.approx(25 / 4)
    p = torch.tensor([[0.25, 0.5]])
    y = torch.tensor([[1.0, 0.0]])
    expected = -(math.log(0.25) + math.log(0.5)) / 2
    assert losses.reconstruction(y, torch.logit(p), "sigmoid", "bce").item() == pytest.approx(
        expected, rel=1e-5
    )
    with pytest.raises(ValueError):
        losses.reconstruction(y, p, "identity", "bce")
    with pytest.raises(ValueError):
        losses.reconstruction(y, p, "identity", "bce_clipped")


def test_clipped_bce_is_the_authors_keras_loss():
    """Keras: p clipped to [eps, 1 - eps], then -(y log(p + eps) + (1 - y) log(1 - p + eps)), mean."""
    eps = 1e-7
    p = torch.tensor([[0.25, 0.5]])
    y = torch.tensor([[1.0, 0.0]])
    expected = -(math.log(0.25 + eps) + math.log(0.5 + eps)) / 2
    assert losses.reconstruction(y, torch.logit(p), "sigmoid", "bce_clipped").item() == pytest.approx(
        expected, rel=1e-6
    )
    # a saturated pixel: its probability is clipped to 1 - eps, so it gets no gradient; from logits it does
    logits = torch.tensor([[30.0, 0.0]], requires_grad=True)
    y = torch.tensor([[0.0, 1.0]])
    clipped = losses.reconstruction(y, logits, "sigmoid", "bce_clipped")
    (grad,) = torch.autograd.grad(clipped, logits)
    assert grad[0, 0] == 0 and grad[0, 1] != 0
    one, e = torch.tensor(1.0), torch.tensor(eps)  # float32, as the loss computes it
    saturated = -(math.log(float(one - (one - e) + e)) + math.log(0.5 + eps)) / 2
    assert clipped.item() == pytest.approx(saturated, rel=1e-6)
    (grad,) = torch.autograd.grad(losses.reconstruction(y, logits, "sigmoid", "bce"), logits)
    assert grad[0, 0] > 0.4


def test_variance_penalty_both_forms():
    z = torch.tensor([[1.0, 0.0], [3.0, 4.0]])  # per-dim biased variances: 1 and 4
    mu = torch.tensor([0.0, 1.0])
    paper = 1.0 * 1 + math.exp(-10) * 4
    assert losses.variance_penalty(z, mu, 10.0, "paper").item() == pytest.approx(paper, rel=1e-6)
    # authors: mean over the 4 entries of (z - mean)^2 * exp(-10 mu^2): (1 + 1 + 4e^-10 + 4e^-10) / 4
    authors = (2 + 8 * math.exp(-10)) / 4
    assert losses.variance_penalty(z, mu, 10.0, "authors").item() == pytest.approx(authors, rel=1e-6)
    half = torch.tensor([0.5, 0.5])
    assert losses.variance_penalty(z, half, 10.0, "paper").item() == pytest.approx(5 * math.exp(-5), rel=1e-6)
    assert losses.variance_penalty(z, half, 10.0, "authors").item() == pytest.approx(
        10 / 4 * math.exp(-2.5), rel=1e-6
    )


def test_ae_loss_wae_has_no_penalty():
    x = torch.zeros(2, 2)
    x_hat = torch.ones(2, 2)
    z = torch.tensor([[0.0], [2.0]])
    kwargs = dict(activation="identity", recon="mse", alpha1=2.0, alpha2=100.0, gamma=10.0, var_form="paper")
    loss, rec = losses.ae_loss(x, x_hat, z, None, **kwargs)
    assert rec.item() == 1 and loss.item() == 2
    loss, _ = losses.ae_loss(x, x_hat, z, torch.tensor([0.0]), **kwargs)
    assert loss.item() == pytest.approx(2 + 100 * 1.0)


@pytest.mark.parametrize("gp_point", ["masked", "unmasked"])
def test_critic_loss_with_a_linear_critic(gp_point):
    critic = Linear1([3.0, 4.0])
    z = torch.tensor([[1.0, 1.0], [0.0, 2.0]])
    z_hat = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    mu = torch.tensor([1.0, 0.5])
    beta = torch.tensor([0.3, 0.9])
    loss, omega = losses.critic_loss(critic, z, z_hat, mu, beta, gp_weight=10.0, gp_point=gp_point)
    h_prior = torch.tensor([3 + 2.0, 0 + 4.0]).mean()  # H(mu z): (3*1 + 4*0.5, 4*1)
    h_code = torch.tensor([0.0, 3.0]).mean()
    assert omega.item() == pytest.approx((h_prior - h_code).item())
    # The gradient of H is w at the masked point and mu * w with respect to the unmasked one.
    grad_norm = 5.0 if gp_point == "masked" else math.hypot(3.0, 2.0)
    assert loss.item() == pytest.approx(-omega.item() + 10 * (grad_norm - 1) ** 2, rel=1e-6)
    loss.backward()
    assert critic.w.grad is not None


def test_generator_and_mask_loss():
    critic = Linear1([1.0, -1.0], c=0.5)
    code = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    assert losses.generator_loss(critic, code).item() == pytest.approx(-0.5)
    assert losses.wasserstein_estimate(critic, code, torch.zeros(2, 2)).item() == pytest.approx(0.0)
    mu = torch.tensor([0.5, 1.0, 0.0])
    assert losses.binarising_term(mu).item() == pytest.approx(0.25)
    loss = losses.mask_loss(torch.tensor(0.1), torch.tensor(0.5), mu, 1000.0, 1.0, 4.0)
    assert loss.item() == pytest.approx(100 + 2.25 + 1.0)


def _critics() -> dict[str, nn.Module]:
    from maae.nets import build_networks
    from maae.pack import pack_network

    torch.manual_seed(0)
    critics = {
        arch: build_networks(arch, 5, (16,), width=24).critic for arch in ("synthetic_mlp", "dense1024")
    }
    solo = [build_networks("synthetic_mlp", m, (16,), width=24).critic for m in (5, 3)]
    packed = pack_network(solo)
    with torch.no_grad():  # the members' weights, the m = 3 one zero-padded to 5 inputs
        for i, net in enumerate(solo):
            for layer, one in zip(packed, net, strict=True):
                if isinstance(one, nn.Linear):
                    layer.weight[i, : one.out_features, : one.in_features] = one.weight
                    layer.bias[i, : one.out_features] = one.bias
    critics["pack"] = packed
    return critics


@pytest.mark.parametrize("gp_point", ["masked", "unmasked"])
@pytest.mark.parametrize("arch", ["synthetic_mlp", "dense1024", "pack"])
def test_closed_form_penalty_equals_autograds_double_backward(arch, gp_point):
    """The written-out input gradient of a ReLU critic gives L_dm and its gradients with respect to every
    critic weight as autograd's double backward does, to float rounding, for one run and for a pack."""
    critic = _critics()[arch]
    g = torch.Generator().manual_seed(1)
    lead = (2,) if arch == "pack" else ()
    z, z_hat = torch.randn(*lead, 32, 5, generator=g), torch.randn(*lead, 32, 5, generator=g)
    mu, beta = torch.rand(*lead, 5, generator=g), torch.rand(*lead, 32, generator=g)
    results = {}
    for how in ("autograd", "closed_form"):
        loss, omega = losses.critic_loss(
            critic, z, z_hat, mu, beta, gp_weight=10.0, gp_point=gp_point, gp_gradient=how
        )
        grads = torch.autograd.grad(loss.sum(), list(critic.parameters()))
        results[how] = (loss.detach(), omega.detach(), grads)
    (la, oa, ga), (lc, oc, gc) = results["autograd"], results["closed_form"]
    assert torch.equal(oa, oc)
    torch.testing.assert_close(lc, la, rtol=1e-5, atol=1e-6)
    for a, c in zip(ga, gc, strict=True):
        torch.testing.assert_close(c, a, rtol=1e-4, atol=1e-6)
    assert any(float(a.abs().max()) > 1e-3 for a in ga), "the penalty must move the weights"


def test_closed_form_penalty_refuses_a_critic_it_cannot_write_out():
    critic = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    z = torch.randn(8, 2)
    with pytest.raises(ValueError, match="Tanh is neither linear nor ReLU"):
        losses.critic_loss(
            critic,
            z,
            z,
            torch.ones(2),
            torch.rand(8),
            gp_weight=10.0,
            gp_point="masked",
            gp_gradient="closed_form",
        )
