"""How strongly does each true dimension of Synthetic-n show in its data? The mask keeps a dimension while its
reconstruction gain outweighs its cost in L_mask, so a weak true direction is one it can close.

For x = f(z) (maae.data.synthetic), f's Jacobian at z is an n x d matrix; its singular values, each divided by
the largest, say how much x moves along each true direction near z. Printed per n: the median over latents of
the two weakest relative singular values, and the variance share of the data's principal components n - 1,
n and n + 1 (the first past n is curvature, not a dimension). Data drawn as the workflow's, from
``generator_seed`` alone.

    .venv/bin/python bench/synthetic_spectrum.py                  # n = 4, 6, 8, 12, 16, 24; a few seconds
    .venv/bin/python bench/synthetic_spectrum.py --n 24 32 --points 1000
"""

from __future__ import annotations

import argparse

import numpy as np

from maae import provenance
from maae.config import DataConfig
from maae.data.synthetic import generate


def jacobian(weights: list[np.ndarray], biases: list[np.ndarray], z: np.ndarray, slope: float) -> np.ndarray:
    """f's Jacobian at z (n x d, rows: dx / dz_i): the weights chained through each leaky ReLU's slope."""
    h, jac = z, np.eye(len(z))
    for w, b in zip(weights, biases, strict=True):
        pre = h @ w + b
        gain = np.where(pre > 0, 1.0, slope)
        jac, h = (jac @ w) * gain, pre * gain
    return jac


def spectrum(cfg: DataConfig, points: int) -> dict[str, np.ndarray]:
    """Relative singular values of f's Jacobian at ``points`` latents (sorted, largest 1) and the data's
    principal components' variance shares."""
    data = generate(cfg)
    weights = [w.numpy() for w in data["weights"]]
    biases = [b.numpy() for b in data["biases"]]
    z = data["z"].numpy().astype(np.float64)[:points]
    values = np.array(
        [np.linalg.svd(jacobian(weights, biases, zi, cfg.negative_slope), compute_uv=False) for zi in z]
    )
    x = data["x"].numpy().astype(np.float64)[:points]
    variance = np.linalg.svd(x - x.mean(0), compute_uv=False) ** 2
    return {"relative": values / values[:, :1], "pca_share": variance / variance.sum()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[4, 6, 8, 12, 16, 24])
    parser.add_argument("--points", type=int, default=2000, help="latents (and data rows for the PCA)")
    args = parser.parse_args(argv)
    print(f"code {provenance.code_version()}; d = {DataConfig.d}, hidden = {DataConfig.hidden}, "
          f"{args.points} latents from the training split's first rows")  # fmt: skip
    print("| n | weakest / strongest (median) | second weakest | PCA share n - 1, n, n + 1 |")
    print("|---|---|---|---|")
    for n in args.n:
        cfg = DataConfig(n=n, n_train=args.points, n_val=0, n_test=0)
        found = spectrum(cfg, args.points)
        weakest = np.median(found["relative"], axis=0)
        share = found["pca_share"][n - 2 : n + 1]
        shares = ", ".join(f"{100 * s:.2f}%" for s in share)
        print(f"| {n} | {weakest[-1]:.3f} | {weakest[-2]:.3f} | {shares} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
