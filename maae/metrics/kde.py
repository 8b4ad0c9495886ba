"""Table 3's score: mean log-likelihood of generated samples under a Gaussian KDE of real data, with the
bandwidth chosen by a line search on a held-out validation split (supplement §10.2).

Exact: float64 log-sum-exp over all pairs, the pairwise squared distances computed chunk by chunk with one
matrix product, every bandwidth of a search evaluated on the same distances. scikit-learn's KernelDensity
is offered as a labelled option for comparison with the paper (which probably used it): its tree-based
estimate is wrong at small bandwidths in high dimension (scikit-learn issue #25799), by up to hundreds of
nats on 128-d data, which moves its chosen bandwidth.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

Method = Literal["exact", "sklearn"]
GRID_POINTS = 20
GRID_SPAN = (0.02, 2.0)  # first search grid, in units of the fit data's RMS per-dimension std
MAX_SHIFTS = 3  # times the grid moves by its own span while the best bandwidth sits on its edge
# exp's argument is clamped here: below about -708 exp leaves its fast path (20-60x slower on this CPU, most
# of a synthetic run's scoring), and exp(-700) = 1e-304 is nothing beside the nearest point's exp(0) = 1 in
# a float64 sum of at most millions of terms, so the log-densities come out the same
EXP_FLOOR = -700.0


@torch.no_grad()
def log_density(
    x: np.ndarray | torch.Tensor,
    fit: np.ndarray | torch.Tensor,
    bandwidths: float | np.ndarray,
    chunk_elements: int = 1 << 22,
) -> np.ndarray:
    """log p_h(x_i) = logsumexp_j(-|x_i - y_j|^2 / 2h^2) - log N - d/2 log(2 pi h^2): (H, n_x) float64,
    one row per bandwidth."""
    x, y = (torch.as_tensor(np.asarray(a), dtype=torch.float64) for a in (x, fit))
    h = torch.as_tensor(np.atleast_1d(np.asarray(bandwidths, dtype=np.float64)))
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1] or y.shape[0] == 0:
        raise ValueError(
            f"need (n, d) points and (N >= 1, d) fit data, got {tuple(x.shape)}, {tuple(y.shape)}"
        )
    if h.ndim != 1 or not bool(((h > 0) & h.isfinite()).all()):
        raise ValueError(f"bandwidths must be positive and finite, got {h.tolist()}")
    n, d = y.shape
    coef = -0.5 / h**2
    const = -math.log(n) - 0.5 * d * torch.log(2 * math.pi * h**2)
    yy = (y * y).sum(1)
    rows = max(1, chunk_elements // n)
    out = torch.empty(h.shape[0], x.shape[0], dtype=torch.float64)
    buf = torch.empty(min(rows, x.shape[0]), n, dtype=torch.float64)
    for start in range(0, x.shape[0], rows):
        xc = x[start : start + rows]
        d2 = torch.addmm(yy, xc, y.T, alpha=-2).add_((xc * xc).sum(1, keepdim=True)).clamp_(min=0)
        dmin = d2.min(1).values
        d2.sub_(dmin[:, None])  # the nearest point contributes exp(0): the sums never underflow
        b = buf[: xc.shape[0]]
        for k, c in enumerate(coef.tolist()):
            out[k, start : start + xc.shape[0]] = (
                c * dmin + torch.mul(d2, c, out=b).clamp_(min=EXP_FLOOR).exp_().sum(1).log_()
            )
    return (out + const[:, None]).numpy()


def sklearn_log_density(x: np.ndarray, fit: np.ndarray, bandwidth: float) -> np.ndarray:
    """scikit-learn's KernelDensity (Gaussian kernel, its defaults: tree, atol = rtol = 0): (n_x,)."""
    from sklearn.neighbors import KernelDensity

    kde = KernelDensity(kernel="gaussian", bandwidth=float(bandwidth)).fit(np.asarray(fit, np.float64))
    return kde.score_samples(np.asarray(x, np.float64))


def mean_log_likelihoods(
    method: Method, x: np.ndarray, fit: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    """bandwidths -> mean log-likelihood of x under each bandwidth's KDE of ``fit``."""
    if method == "exact":
        return lambda hs: log_density(x, fit, hs).mean(1)
    if method == "sklearn":
        return lambda hs: np.array([sklearn_log_density(x, fit, h).mean() for h in hs])
    raise ValueError(f"KDE method {method!r} is not one of exact, sklearn")


@dataclass(frozen=True)
class Search:
    bandwidth: float
    tried: dict[float, float]  # bandwidth -> mean validation log-likelihood, every one evaluated


def line_search(
    evaluate: Callable[[np.ndarray], np.ndarray], scale: float, points: int = GRID_POINTS
) -> Search:
    """Best bandwidth on a geometric grid (moved a span while the best point of every bandwidth tried so
    far is on an edge), then on a finer grid of as many points between that point's tried neighbours.
    Judging the bracket on every value tried, not the current grid's alone: an optimum just past the first
    grid's edge is bracketed by the two grids, and a moved grid whose best is its own far edge (the old
    edge point) no longer bounces back and forth until the search gives up."""
    grid = scale * np.geomspace(*GRID_SPAN, points)
    tried: dict[float, float] = {}
    for _ in range(MAX_SHIFTS + 1):
        tried.update(zip(grid.tolist(), evaluate(grid).tolist(), strict=True))
        hs = sorted(tried)
        k = max(range(len(hs)), key=lambda i: tried[hs[i]])
        if 0 < k < len(hs) - 1:
            break
        grid = grid * (grid[-1] / grid[0]) ** (1 if k else -1)
    else:
        raise ValueError(f"no interior optimum of the bandwidth within {min(tried):.3g}-{max(tried):.3g}")
    fine = np.geomspace(hs[k - 1], hs[k + 1], points)
    tried.update(zip(fine.tolist(), evaluate(fine).tolist(), strict=True))
    best = max(tried, key=tried.__getitem__)
    return Search(best, dict(sorted(tried.items())))


@dataclass(frozen=True)
class KdeScore:
    value: float  # mean log-likelihood of the generated samples (nats)
    bandwidth: float
    method: Method
    search: Search
    n_fit: int
    n_val: int
    n_generated: int


def kde_log_likelihood(
    generated: np.ndarray, fit: np.ndarray, val: np.ndarray, method: Method = "exact"
) -> KdeScore:
    """Fit on ``fit`` (real data), choose the bandwidth on ``val`` (held-out real), score ``generated``."""
    fit, val, generated = (np.asarray(a, np.float64) for a in (fit, val, generated))
    scale = float(np.sqrt(fit.var(0).mean()))
    if not scale > 0:
        raise ValueError("the KDE's fit data have no spread")
    search = line_search(mean_log_likelihoods(method, val, fit), scale)
    value = float(mean_log_likelihoods(method, generated, fit)(np.array([search.bandwidth]))[0])
    return KdeScore(value, search.bandwidth, method, search, len(fit), len(val), len(generated))


def disagreement(sklearn: KdeScore, fit: np.ndarray, val: np.ndarray) -> dict[str, object]:
    """Where and by how much scikit-learn's validation log-likelihoods differ from the exact ones."""
    hs = np.array(list(sklearn.search.tried))
    exact = log_density(np.asarray(val, np.float64), np.asarray(fit, np.float64), hs).mean(1)
    diff = np.array(list(sklearn.search.tried.values())) - exact
    worst = int(np.argmax(np.abs(diff)))
    return {
        "bandwidths": hs.tolist(),
        "sklearn_minus_exact": diff.tolist(),
        "max_abs": float(abs(diff[worst])),
        "at_bandwidth": float(hs[worst]),
    }
