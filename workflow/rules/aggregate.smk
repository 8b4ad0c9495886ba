# From run folders to the tidy table: datasets.json (what ran and why not), runs/<dataset>/runs.csv, runs.csv.


localrules:
    manifest,


rule manifest:
    """What this scale asked for and which data sets could run (a missing one: its reason)."""
    input:
        SCALE_STAMP,
    output:
        manifest=RESULTS / "datasets.json",
        config=RESULTS / "config.yaml",
    log:
        RESULTS / "logs" / "manifest.log",
    params:
        manifest=MANIFEST,
        config=config,
    run:
        write_manifest(params.manifest, params.config, output, log[0])


rule aggregate_dataset:
    """One data set's runs (summary, scores, config) as rows of runs/<dataset>/runs.csv."""
    input:
        manifest=RESULTS / "datasets.json",
        scores=lambda w: runs_of(w.dataset, "scores.json"),
        summaries=lambda w: runs_of(w.dataset, "summary.json"),
    output:
        RESULTS / "runs" / "{dataset}" / "runs.csv",
    log:
        RESULTS / "logs" / "aggregate" / "{dataset}.log",
    conda:
        ENV
    resources:
        **res("light"),
    params:
        results=RESULTS,
    shell:
        "$MAAE_PYTHON -m maae.report.aggregate dataset --results {params.results} --dataset {wildcards.dataset} > {log} 2>&1"


rule runs_table:
    """results/<scale>/runs.csv: one row per run of every data set, every config value and score."""
    input:
        dataset_runs_csv(MANIFEST["datasets"]),
    output:
        RESULTS / "runs.csv",
    log:
        RESULTS / "logs" / "aggregate" / "runs.log",
    conda:
        ENV
    resources:
        **res("light"),
    params:
        results=RESULTS,
    shell:
        "$MAAE_PYTHON -m maae.report.aggregate combine --results {params.results} {input} > {log} 2>&1"
