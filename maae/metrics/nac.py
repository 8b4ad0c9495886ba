"""m_A and NAC, Table 2: the mean off-diagonal entry of the normalised absolute covariance of codes.

Supplement §10.4: Sigma = |sum_i (z_i - mean z)(z_i - mean z)^T| over 5,000 codes z = E(x) (unmasked, as
Eq. 19 writes them), normalised as (Sigma - min Sigma) / (max Sigma - min Sigma). For MAAE the paper
"neglects" the masked dimensions: NAC is computed on the active dimensions' own matrix (renormalised over
it), while the matrix over all m dimensions is kept for Figures 10-13 style heatmaps.

The min-max normalisation is not scale-free: the smallest entry always maps to 0, so with m_A = 2 NAC is 0
whatever the codes, and perfectly correlated codes of equal scale give 0/0. ``abs_corr`` (the mean
off-diagonal |correlation|: 0 for independent codes, 1 for perfectly correlated ones) is reported beside it
as a scale-free diagnostic; it is not the paper's number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


def abs_covariance(codes: np.ndarray) -> np.ndarray:
    """Eq. 19: |sum over codes of the centred outer products| (a sum, not a mean: the scale cancels)."""
    z = np.asarray(codes, np.float64)
    if z.ndim != 2 or z.shape[0] < 2:
        raise ValueError(f"need (N >= 2, m) codes, got shape {z.shape}")
    z = z - z.mean(0)
    return np.abs(z.T @ z)


def minmax(matrix: np.ndarray) -> np.ndarray:
    """(S - min S) / (max S - min S); all NaN when every entry is equal (undefined)."""
    lo, hi = matrix.min(), matrix.max()
    return (matrix - lo) / (hi - lo) if hi > lo else np.full_like(matrix, np.nan)


def mean_off_diagonal(matrix: np.ndarray) -> float:
    """NaN for a matrix with no off-diagonal entries (m_A < 2)."""
    k = matrix.shape[0]
    if k < 2:
        return float("nan")
    return float(matrix[~np.eye(k, dtype=bool)].mean())


def abs_correlation(sigma: np.ndarray) -> np.ndarray:
    std = np.sqrt(np.diag(sigma))
    with np.errstate(invalid="ignore", divide="ignore"):
        return sigma / np.outer(std, std)


@dataclass(frozen=True)
class Nac:
    value: float  # the paper's NAC over the active dimensions
    abs_corr: float  # mean off-diagonal |correlation| over the active dimensions (not the paper's)
    active: list[int]  # the dimensions NAC is computed over (all m for a WAE)
    matrix: np.ndarray  # the normalised absolute covariance over all m dimensions
    n_codes: int


def nac(codes: np.ndarray | torch.Tensor, mu: np.ndarray | torch.Tensor, threshold: float) -> Nac:
    """NAC of (N, m) unmasked codes over the dimensions with mu_j >= threshold (a WAE has mu = 1)."""
    sigma = abs_covariance(np.asarray(codes))
    active = np.flatnonzero(np.asarray(mu) >= threshold)
    block = sigma[np.ix_(active, active)]
    return Nac(
        value=mean_off_diagonal(minmax(block)) if active.size else float("nan"),
        abs_corr=mean_off_diagonal(abs_correlation(block)),
        active=active.tolist(),
        matrix=minmax(sigma),
        n_codes=len(codes),
    )
