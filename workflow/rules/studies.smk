# Sensitivity studies (the scale file's studies:): each study run trained and scored by the grid's own
# rules in its variant folder (runs/<dataset>/<study>~<setting>/...), then the study's tidy table, map,
# axis plots and verdict section under studies/<study>/. Not part of `all`: `snakemake <study>` or
# `snakemake studies`.


use rule prepare as prepare_study with:
    output:
        STUDY_OUT / "prepared" / "{dataset}.json",
    log:
        RESULTS / "logs" / "studies" / "{study}" / "prepare" / "{dataset}.log",
    benchmark:
        RESULTS / "benchmarks" / "studies" / "{study}" / "prepare" / "{dataset}.tsv"
    params:
        sets=lambda w: set_args(
            {f"data.{k}": v for k, v in studies.study_data(config, w.study, studies.n_of(w.dataset)).items()}
        ),
        metric="fd_raw",
        cache=scales.cache_dir(config),
        epochs=1,  # unused: fd_raw has no network


use rule train as train_study with:
    input:
        STUDY_OUT / "prepared" / "{dataset}.json",
    output:
        model=STUDY_RUN / "model.pt",
        summary=STUDY_RUN / "summary.json",
    log:
        RESULTS / "logs" / "studies" / "{study}" / "train" / "{dataset}_{setting}_{model}_m{m}_seed{seed}.log",
    benchmark:
        RESULTS
        / "benchmarks"
        / "studies"
        / "{study}"
        / "train"
        / "{dataset}_{setting}_{model}_m{m}_seed{seed}.tsv"
    params:
        sets=checked_study_args,
        folder=lambda w, output: Path(output.model).parent,


use rule score as score_study with:
    input:
        model=STUDY_RUN / "model.pt",
        prepared=STUDY_OUT / "prepared" / "{dataset}.json",
    output:
        STUDY_RUN / "scores.json",
    log:
        RESULTS / "logs" / "studies" / "{study}" / "score" / "{dataset}_{setting}_{model}_m{m}_seed{seed}.log",
    benchmark:
        RESULTS
        / "benchmarks"
        / "studies"
        / "{study}"
        / "score"
        / "{dataset}_{setting}_{model}_m{m}_seed{seed}.tsv"
    params:
        args=study_score_args,
        folder=lambda w, input: Path(input.model).parent,


rule study_table:
    """The study's tidy table (one row per run, runs.csv's columns and the study's) and its cells."""
    input:
        config=RESULTS / "config.yaml",
        scores=lambda w: study_files(w.study, "scores.json"),
    output:
        runs=STUDY_OUT / "runs.csv",
        cells=STUDY_OUT / "cells.csv",
    log:
        RESULTS / "logs" / "studies" / "{study}" / "table.log",
    conda:
        ENV
    resources:
        **res("light"),
    params:
        results=RESULTS,
    shell:
        "$MAAE_PYTHON -m maae.report.study table --results {params.results} --study {wildcards.study} > {log} 2>&1"


rule study_figures:
    """The map (setting × n) and one panel per axis, as PDF and PNG."""
    input:
        rules.study_table.output.runs,
    output:
        multiext(str(STUDY_OUT / "heatmap"), ".pdf", ".png"),
        multiext(str(STUDY_OUT / "axes"), ".pdf", ".png"),
    log:
        RESULTS / "logs" / "studies" / "{study}" / "figures.log",
    conda:
        ENV
    resources:
        **res("light"),
    params:
        results=RESULTS,
    shell:
        "MPLBACKEND=Agg $MAAE_PYTHON -m maae.report.study figures --results {params.results} "
        "--study {wildcards.study} > {log} 2>&1"


rule study_verdict:
    """The study's section of the verdict report: each axis judged by the pre-registered rule."""
    input:
        rules.study_table.output.runs,
    output:
        STUDY_OUT / "verdict.md",
    log:
        RESULTS / "logs" / "studies" / "{study}" / "verdict.log",
    conda:
        ENV
    resources:
        **res("light"),
    params:
        results=RESULTS,
    shell:
        "$MAAE_PYTHON -m maae.report.study verdict --results {params.results} --study {wildcards.study} > {log} 2>&1"


STUDY_FILES = {
    name: [
        RESULTS / "studies" / name / f
        for f in ("runs.csv", "cells.csv", "heatmap.pdf", "heatmap.png", "axes.pdf", "axes.png", "verdict.md")
    ]
    for name in config["studies"]
}


rule where_n:
    """Where the scale's synthetic recipe finds n: the grid's runs and the studies' base runs on one map of n
    by m/n (not part of all or studies, since it needs both)."""
    input:
        RESULTS / "config.yaml",
        where_n_inputs,
    output:
        RESULTS / "studies" / "where_n.md",
    log:
        RESULTS / "logs" / "studies" / "where_n.log",
    conda:
        ENV
    resources:
        **res("light"),
    params:
        results=RESULTS,
    shell:
        "$MAAE_PYTHON -m maae.report.where_n --results {params.results} --out {output} > {log} 2>&1"
