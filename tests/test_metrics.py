"""Fréchet distance, KDE log-likelihood and NAC against independent references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pytorch_fid.fid_score import calculate_frechet_distance
from scipy.special import logsumexp

from maae.metrics import kde
from maae.metrics.frechet import frechet_distance, frechet_distance_between, statistics
from maae.metrics.nac import nac

# ---------------------------------------------------------------- Fréchet distance


def _psd(rng: np.random.Generator, d: int, eigenvalues: np.ndarray) -> np.ndarray:
    q = np.linalg.qr(rng.standard_normal((d, d)))[0]
    return (q * eigenvalues) @ q.T


def _stat_pairs() -> list[tuple[str, tuple[np.ndarray, ...]]]:
    rng = np.random.default_rng(0)
    d = 48
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    a, b = rng.standard_normal((500, d)), rng.standard_normal((500, d)) @ rng.standard_normal((d, d)) * 0.3
    few1, few2 = rng.standard_normal((12, d)), rng.standard_normal((20, d)) * 1.5  # rank 11 and 19
    low1, low2 = rng.standard_normal((d, 3)), rng.standard_normal((d, 5))
    decay = np.geomspace(1.0, 1e-13, d)  # condition number 1e13
    return [
        ("well conditioned", (*statistics(a), *statistics(b))),
        ("fewer samples than dims", (*statistics(few1), *statistics(few2))),
        ("exactly low rank", (mu1, low1 @ low1.T, mu2, low2 @ low2.T)),
        ("near singular", (mu1, _psd(rng, d, decay), mu2, _psd(rng, d, decay))),
    ]


@pytest.mark.filterwarnings("ignore:The `disp` argument is deprecated:DeprecationWarning")  # pytorch-fid's
@pytest.mark.parametrize(("case", "stats"), _stat_pairs(), ids=[c for c, _ in _stat_pairs()])
def test_frechet_matches_pytorch_fid(case: str, stats: tuple[np.ndarray, ...]) -> None:
    ours, theirs = frechet_distance(*stats), calculate_frechet_distance(*stats)
    assert ours == pytest.approx(theirs, rel=1e-6), case


@pytest.mark.parametrize(("case", "stats"), _stat_pairs(), ids=[c for c, _ in _stat_pairs()])
def test_frechet_without_a_cholesky_factor_takes_the_psd_root(case, stats, monkeypatch) -> None:
    def no_factor(_matrix: np.ndarray) -> np.ndarray:
        raise np.linalg.LinAlgError("not positive definite")

    monkeypatch.setattr(np.linalg, "cholesky", no_factor)
    assert frechet_distance(*stats) == pytest.approx(calculate_frechet_distance(*stats), rel=1e-6), case


def test_frechet_of_a_set_with_itself_is_zero() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((30, 64)) * 3 + 1
    # a singular covariance: the square root turns rounding errors ~1e-13 of its zero eigenvalues into
    # ~1e-6 each (pytorch-fid's sqrtm does the same), hence the tolerance
    assert abs(frechet_distance_between(x, x)) < 1e-6 * np.trace(np.cov(x, rowvar=False))
    assert frechet_distance_between(x, x + 1) == pytest.approx(64.0)  # only the means differ


def test_frechet_rejects_mismatched_or_non_finite_statistics() -> None:
    mu, sigma = np.zeros(3), np.eye(3)
    with pytest.raises(ValueError, match="do not match"):
        frechet_distance(mu, sigma, np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(mu, sigma, mu, np.full((3, 3), np.nan))


# ---------------------------------------------------------------- KDE


def brute_force_log_density(x: np.ndarray, fit: np.ndarray, h: float) -> np.ndarray:
    d2 = ((x[:, None, :] - fit[None, :, :]) ** 2).sum(-1)
    n, d = fit.shape
    return logsumexp(-d2 / (2 * h**2), axis=1) - np.log(n) - d / 2 * np.log(2 * np.pi * h**2)


def test_kde_matches_brute_force_logsumexp() -> None:
    rng = np.random.default_rng(2)
    fit, x = rng.standard_normal((300, 16)) + 2, rng.standard_normal((70, 16)) + 2
    hs = np.array([0.02, 0.1, 0.5, 3.0])  # 0.02: every kernel sum underflows without the shift
    ours = kde.log_density(x, fit, hs, chunk_elements=1000)  # several chunks of 3 rows
    for row, h in zip(ours, hs, strict=True):
        np.testing.assert_allclose(row, brute_force_log_density(x, fit, h), rtol=1e-8, atol=0)


def test_kde_exp_floor_changes_no_log_density(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clamping exp's argument at EXP_FLOOR (its fast path) gives the very same float64 values as not
    clamping, on data where most arguments lie far below it (small bandwidths, 128-d)."""
    rng = np.random.default_rng(4)
    fit, x = rng.standard_normal((2000, 128)), rng.standard_normal((300, 128))
    hs = np.geomspace(0.05, 2.0, 8)
    clamped = kde.log_density(x, fit, hs)
    monkeypatch.setattr(kde, "EXP_FLOOR", -math.inf)
    assert np.array_equal(clamped, kde.log_density(x, fit, hs))


def test_kde_matches_sklearn_at_large_bandwidths() -> None:
    rng = np.random.default_rng(3)
    fit, x = rng.standard_normal((400, 8)), rng.standard_normal((50, 8))
    for h in (1.0, 3.0):
        np.testing.assert_allclose(
            kde.log_density(x, fit, h)[0], kde.sklearn_log_density(x, fit, h), rtol=1e-7
        )


def test_line_search_moves_off_the_grid_edge_and_refines() -> None:
    best = 7.0
    search = kde.line_search(lambda hs: -((np.log(hs) - np.log(best)) ** 2), scale=1.0)
    assert search.bandwidth == pytest.approx(best, rel=0.03)  # the first grid ends at 2
    assert max(search.tried) > 2 and len(search.tried) > 2 * kde.GRID_POINTS
    with pytest.raises(ValueError, match="no interior optimum"):
        kde.line_search(lambda hs: hs, scale=1.0)


@pytest.mark.parametrize("best", [1.9, 2.03, 2.2, 0.0185, 0.022])
def test_an_optimum_just_past_the_first_grids_edge_is_found(best: float) -> None:
    """Within about one grid step past an edge of the first grid (0.02-2), the moved grid's best is its own
    far edge, the old edge point: judged on that grid alone, the search bounced between the two grids and
    gave up; the values already tried bracket the optimum."""
    search = kde.line_search(lambda hs: -((np.log(hs) - np.log(best)) ** 2), scale=1.0)
    assert search.bandwidth == pytest.approx(best, rel=0.03)


def test_kde_log_likelihood_prefers_the_real_distribution() -> None:
    rng = np.random.default_rng(4)
    fit, val, same = (rng.standard_normal((n, 4)) for n in (400, 200, 200))
    near = kde.kde_log_likelihood(same, fit, val)
    far = kde.kde_log_likelihood(same + 1.5, fit, val)
    assert near.bandwidth == far.bandwidth  # chosen on val alone
    assert near.value > far.value + 1
    assert near.value == pytest.approx(kde.log_density(same, fit, near.bandwidth).mean(), rel=1e-12)
    assert near.search.tried[near.bandwidth] == max(near.search.tried.values())
    assert (near.n_fit, near.n_val, near.n_generated, near.method) == (400, 200, 200, "exact")


# ---------------------------------------------------------------- NAC


def test_nac_of_isotropic_codes_is_near_zero() -> None:
    codes = np.random.default_rng(5).standard_normal((5000, 10))
    result = nac(codes, np.ones(10), threshold=0.1)
    assert result.value < 0.03 and result.abs_corr < 0.03
    assert result.matrix.shape == (10, 10) and result.n_codes == 5000
    assert result.matrix.min() == 0 and result.matrix.max() == 1


def test_nac_of_perfectly_correlated_codes() -> None:
    s = np.random.default_rng(6).standard_normal((5000, 1))
    scales = np.array([1.0, 2.0, 3.0, 4.0])
    result = nac(s * scales, np.ones(4), threshold=0.1)
    assert result.abs_corr == pytest.approx(1.0, abs=1e-12)
    # the paper's min-max maps |Sigma_ij| = a_i a_j var(s) to (a_i a_j - 1) / 15: far from 1
    off = [a * b for i, a in enumerate(scales) for j, b in enumerate(scales) if i != j]
    assert result.value == pytest.approx(np.mean([(v - 1) / 15 for v in off]), rel=1e-9)
    same_scale = nac(np.repeat(s, 4, axis=1), np.ones(4), threshold=0.1)
    assert same_scale.abs_corr == pytest.approx(1.0) and np.isnan(same_scale.value)  # 0 / 0


def test_nac_uses_only_active_dimensions_but_keeps_the_full_matrix() -> None:
    rng = np.random.default_rng(7)
    codes = rng.standard_normal((2000, 6)) @ rng.standard_normal((6, 6))
    mu = np.array([1.0, 0.9, 0.05, 1.0, 0.0, 0.5])
    result = nac(codes, mu, threshold=0.1)
    assert result.active == [0, 1, 3, 5]
    assert result.matrix.shape == (6, 6)
    alone = nac(codes[:, result.active], np.ones(4), threshold=0.1)
    assert result.value == pytest.approx(alone.value) and result.abs_corr == pytest.approx(alone.abs_corr)
    assert np.isnan(nac(codes, np.eye(6)[0], threshold=0.1).value)  # m_A = 1: no off-diagonal entries
