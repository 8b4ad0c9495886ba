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
