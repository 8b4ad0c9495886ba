"""MaskAAE reproduction suite: train MAAE and the mask-off WAE over a grid of latent sizes m and seeds, score
them, and render the paper's tables, figures, naive-search baselines and a verdict on each claim.

    snakemake --cores 8 --use-conda all                          # paper scale (config/paper.yaml)
    snakemake --cores 2 --configfile=config/cpu.yaml all         # 2-core reproduction (README)
    snakemake --cores 2 --configfile=config/smoke.yaml fig4a     # one target; --list-target-rules lists them
"""

from snakemake.utils import min_version, validate

min_version("9.0")

if "scale" not in config:  # no --configfile: the paper scale (a scale file is never merged into another)

    configfile: "config/paper.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/check.smk"


# The target registry: `snakemake <name>` builds that table, figure or report and only what it needs
# (`snakemake --list-target-rules` lists them). Each rule file defines its outputs by name (TABLE_FILES,
# FIGURE_FILES, BASELINE_FILES, from the scale file); this maps names to files.
TARGETS = {
    **TABLE_FILES,
    **FIGURE_FILES,
    **BASELINE_FILES,
    "runs": [RESULTS / "runs.csv"],
    "verdict": [RESULTS / "report" / "verdict.md"],
    "synthetic": [
        f
        for name, files in {**TABLE_FILES, **FIGURE_FILES}.items()
        for f in files
        if name in ("table2", "table3", "fig4a", "fig4b") or name.startswith("heatmaps_synthetic")
    ],
}
ALL_TARGETS = sorted({str(f) for files in TARGETS.values() for f in files})

for _target, _files in TARGETS.items():

    rule:
        name:
            _target
        input:
            _files,
        localrule: True


rule all:
    """Every table, figure, baseline table and the verdict report of the configured scale."""
    default_target: True
    input:
        ALL_TARGETS,
