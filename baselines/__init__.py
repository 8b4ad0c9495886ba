"""Naive baselines of supplement §8: find the latent size m by training a WAE per candidate (linear or
ternary search) and keeping the best score, and what that costs against one MAAE run.

- ``search``: the searches as pure algorithms over func(m), with an evaluation log.
- ``replay`` / ``live``: where func's runs come from (a finished grid's runs.csv, or the trainer with the
  grid's run folders as a cache); ``compare``: the searches per seed beside the MAAE reference run;
  ``table``: STEM.csv and STEM.md. CLI: ``python -m baselines {replay,live} ...``.
"""
