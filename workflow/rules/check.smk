# The verdict report: every paper number beside the suite's, then every claim with pass / fail / not run.


rule verdict_report:
    input:
        manifest=RESULTS / "datasets.json",
        runs=RESULTS / "runs.csv",
        baselines=[f for files in BASELINE_FILES.values() for f in files],
    output:
        md=report(RESULTS / "report" / "verdict.md", category="Verdict", labels={"scale": SCALE}),
        json=RESULTS / "report" / "verdict.json",
    log:
        RESULTS / "logs" / "report" / "verdict.log",
    conda:
        ENV
    resources:
        **res("light"),
    params:
        results=RESULTS,
    shell:
        "$MAAE_PYTHON -m maae.report.verdict --results {params.results} --out {output.md} --json {output.json} "
        "--strict > {log} 2>&1"


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

for _target, _files in TARGETS.items():  # `snakemake fig4a` builds that figure and only what it needs

    rule:
        name:
            _target
        input:
            _files,
        localrule: True
