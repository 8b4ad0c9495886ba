"""From run folders to the paper's tables, figures and claim verdicts (no Snakemake imports).

The contract between stages (every module here reads only these files). ``<results>/`` is one scale's
output root, e.g. ``results/smoke``:

- ``runs/<dataset>/<model>/m<m>/seed<seed>/``: one run folder (see maae.train and maae.metrics.score):
  config.json, metrics.csv, summary.json, model.pt, scores.json.
- ``datasets.json``: what the scale asked for and what it could run, written by the workflow's manifest
  rule from ``maae.scales.manifest``::

      {"scale": "smoke", "config": "config/smoke.yaml",
       "datasets": {"synthetic8": {"data": "synthetic", "n": 8, "status": "ok", "reason": null,
                                   "models": ["maae", "wae"], "m": [4, 8, 12], "seeds": [0],
                                   "capacity": 12, "metric": "fd_raw", "steps": 300},
                    "cifar10": {"data": "cifar10", "n": null, "status": "missing",
                                "reason": "data set missing: data/cifar-10-batches-py/data_batch_1: ...",
                                ...}}}

  ``status`` is ``ok`` (its runs are in runs.csv), ``missing`` (data not found; ``reason`` starts with
  "data set missing:" and names the path) or ``skipped`` (left out by the scale's ``only:`` option).
  Whatever is not ``ok`` has a ``reason``, shown in its place by tables, figures and the report. A data
  set the scale does not list is absent from the file: its cells say "not in the <scale> scale".
- ``runs/<dataset>/runs.csv`` and ``runs.csv``: one row per run, the columns of
  ``maae.report.aggregate.COLUMNS`` then one ``cfg.<section>.<key>`` column per resolved config value.
  Empty cells are values that were not computed. Targets that need a few data sets read only theirs.
"""
