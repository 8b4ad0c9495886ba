"""MaskAAE and its mask-off WAE twin, for reproducing "MaskAAE: Latent space optimization for
Adversarial Auto-Encoders".

Entry points: ``maae.config`` (RunConfig), ``maae.train.train`` (one run into one folder),
``maae.sample`` (sample, encode), ``maae.metrics.score.score_run`` (scores.json), and the command
line ``python -m maae``. Nothing here imports Snakemake.
"""
