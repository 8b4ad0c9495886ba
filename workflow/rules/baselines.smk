# Naive searches over m (supplement §8): linear and ternary search by WAE score, against one MAAE run.

BASELINES = [name for name in config["baselines"]["datasets"] if name in READY]


rule baseline:
    """Replay: the searches as look-ups over the grid's WAE runs, costed by their measured train times;
    live: trains the WAEs a search asks for that the grid lacks, in the grid's run folders."""
    input:
        manifest=RESULTS / "datasets.json",
        config=RESULTS / "config.yaml",
        runs=RESULTS / "runs" / "{dataset}" / "runs.csv",  # live mode too: the grid first, then what it lacks
    output:
        csv=RESULTS / "baselines" / "{dataset}.csv",
        md=RESULTS / "baselines" / "{dataset}.md",
    log:
        RESULTS / "logs" / "baselines" / "{dataset}.log",
    conda:
        ENV
    threads: config["threads"]
    resources:
        **res("train" if config["baselines"]["mode"] == "live" else "light"),
    params:
        results=RESULTS,
        source=(
            f"live --config {RESULTS / 'config.yaml'}"
            if config["baselines"]["mode"] == "live"
            else f"replay --results {RESULTS}"
        ),
    shell:
        "$MAAE_PYTHON -m baselines {params.source} --dataset {wildcards.dataset} "
        "--out {params.results}/baselines/{wildcards.dataset} > {log} 2>&1"


BASELINE_FILES = {
    f"baseline_{name}": [RESULTS / "baselines" / f"{name}.{ext}" for ext in ("csv", "md", "html")]
    for name in BASELINES
}
