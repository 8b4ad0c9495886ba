# The verdict report: every paper number beside the suite's, then every claim with pass / fail / not run.


rule verdict_report:
    input:
        manifest=RESULTS / "datasets.json",
        runs=RESULTS / "runs.csv",
        baselines=[f for files in BASELINE_FILES.values() for f in files if f.suffix == ".csv"],
    output:
        md=RESULTS / "report" / "verdict.md",
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
        "--baselines {input.baselines:q} --strict > {log} 2>&1"


rule md_html:
    """The verdict, a table or a baseline table as an HTML page for the report (Markdown is not shown inline)."""
    input:
        RESULTS / "{folder}" / "{name}.md",
    output:
        report(
            RESULTS / "{folder}" / "{name}.html",
            caption="../report/caption.rst",
            category=lambda w: page_report(w.folder, w.name)[0],
            subcategory=lambda w: page_report(w.folder, w.name)[1],
            labels=lambda w: page_report(w.folder, w.name)[2],
        ),
    log:
        RESULTS / "logs" / "html" / "{folder}_{name}.log",
    wildcard_constraints:
        folder="report|tables|baselines",
    localrule: True
    conda:
        ENV
    resources:
        **res("light"),
    params:
        caption=lambda w: page_report(w.folder, w.name)[3],
    shell:
        "$MAAE_PYTHON -m md_html {input} {output} > {log} 2>&1"
