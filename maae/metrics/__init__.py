"""Scores of trained models: frechet (the distance), fid (pytorch-fid's Inception), offline (fd_lenet, a
classifier trained here), kde (Table 3), nac (m_A and Table 2's NAC), score (one run -> scores.json)."""


class WeightsUnavailableError(RuntimeError):
    """The Inception weights file is missing, damaged or foreign; the one-line message says what to do.

    Defined here, not in fid.py, so that catching it does not import pytorch-fid."""
