"""bench/synthetic_spectrum.py measures what it says: its Jacobian is f's, its spectra are sorted shares."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import synthetic_spectrum

from maae.config import DataConfig
from maae.data.synthetic import apply_f, generate


def test_the_jacobian_is_fs_by_finite_differences() -> None:
    data = generate(DataConfig(n=5, n_train=10, n_val=0, n_test=0))
    weights, biases = [w.numpy() for w in data["weights"]], [b.numpy() for b in data["biases"]]
    z, eps = data["z"].numpy().astype(np.float64)[3], 1e-6
    numeric = np.stack(
        [(apply_f(weights, biases, z + eps * e, 0.2) - apply_f(weights, biases, z - eps * e, 0.2)) / (2 * eps)
         for e in np.eye(5)]
    )  # fmt: skip
    assert np.allclose(synthetic_spectrum.jacobian(weights, biases, z, 0.2), numeric, atol=1e-6)


def test_spectra_are_relative_and_sorted() -> None:
    found = synthetic_spectrum.spectrum(DataConfig(n=4, n_train=50, n_val=0, n_test=0), points=50)
    assert found["relative"].shape == (50, 4) and np.allclose(found["relative"][:, 0], 1.0)
    assert (np.diff(found["relative"], axis=1) <= 0).all() and (found["relative"] > 0).all()
    assert np.isclose(found["pca_share"].sum(), 1.0) and (np.diff(found["pca_share"]) <= 1e-12).all()
