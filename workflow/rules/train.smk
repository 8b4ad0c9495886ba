# Data, training and scoring: one job per data set (prepare) and per run (train, score).


RUN = scales.run_dir(RESULTS, "{dataset}", "{model}", "{m}", "{seed}")


rule prepare:
    """Read every split once (generates synthetic data), build the primary metric's backbone."""
    output:
        RESULTS / "prepared" / "{dataset}.json",
    log:
        RESULTS / "logs" / "prepare" / "{dataset}.log",
    benchmark:
        RESULTS / "benchmarks" / "prepare" / "{dataset}.tsv"
    conda:
        ENV
    threads: config["threads"]
    resources:
        **res("score"),
    params:
        sets=lambda w: set_args(scales.run_overrides(config, w.dataset, "maae", 1, 0)),
        metric=lambda w: scales.metric(config, w.dataset),
        cache=scales.cache_dir(config),
        epochs=lambda w: config["datasets"][w.dataset]["score"]["lenet_epochs"],
    shell:
        "$MAAE_PYTHON -m maae prepare {params.sets} --metric {params.metric} --cache-dir {params.cache} "
        "--lenet-epochs {params.epochs} --out {output} > {log} 2>&1"


rule train:
    """Algorithm 2 for one (data set, model, m, seed); a killed job resumes from its last checkpoint."""
    input:
        RESULTS / "prepared" / "{dataset}.json",
    output:
        model=RUN / "model.pt",
        summary=RUN / "summary.json",
    log:
        RESULTS / "logs" / "train" / "{dataset}" / "{model}_m{m}_seed{seed}.log",
    benchmark:
        RESULTS / "benchmarks" / "train" / "{dataset}" / "{model}_m{m}_seed{seed}.tsv"
    conda:
        ENV
    threads: config["threads"]
    resources:
        **res("train"),
    params:
        sets=checked_run_args,
        folder=lambda w, output: Path(output.model).parent,
    shell:
        "$MAAE_PYTHON -m maae train {params.sets} --out {params.folder} > {log} 2>&1"


# Packs (a data set's `pack:` other than 1): one job trains several runs (maae.pack), its outputs are its
# members' files, so a target that needs one member plans the pack. Snakemake prefers these rules, which
# have no wildcards, to `train` for the same files; runs left out of every pack keep `train`.
PACKS = {name: scales.packs(config, name) for name in READY}
for _dataset, _packs in PACKS.items():
    for _i, _members in enumerate(_packs):
        _folders = [scales.run_dir(RESULTS, _dataset, *run) for run in _members]

        rule:
            name:
                f"train_pack_{_dataset}_{_i}"
            input:
                RESULTS / "prepared" / f"{_dataset}.json",
            output:
                [folder / name for folder in _folders for name in ("model.pt", "summary.json")],
            log:
                RESULTS / "logs" / "train" / _dataset / f"pack{_i}.log",
            benchmark:
                RESULTS / "benchmarks" / "train" / _dataset / f"pack{_i}.tsv"
            conda:
                ENV
            threads: config["threads"]
            resources:
                **res("train"),
            params:
                args=lambda w, dataset=_dataset, members=_members: checked_pack_args(dataset, members),
            shell:
                "$MAAE_PYTHON -m maae train-pack {params.args} > {log} 2>&1"


rule score:
    """The data set's primary score, KDE (synthetic) and NAC, with their sample counts, into scores.json."""
    input:
        model=RUN / "model.pt",
        prepared=RESULTS / "prepared" / "{dataset}.json",
    output:
        RUN / "scores.json",
    log:
        RESULTS / "logs" / "score" / "{dataset}" / "{model}_m{m}_seed{seed}.log",
    benchmark:
        RESULTS / "benchmarks" / "score" / "{dataset}" / "{model}_m{m}_seed{seed}.tsv"
    priority: 1  # scored as soon as trained: a cut-short run leaves finished runs, not unscored ones
    conda:
        ENV
    threads: config["threads"]
    resources:
        **res("score"),
        scoring=1,  # one slot: grouped on a cluster, they run in series (workflow/profiles/slurm)
    params:
        args=lambda w: score_args(w.dataset),
        folder=lambda w, input: Path(input.model).parent,
    shell:
        "OMP_NUM_THREADS={threads} $MAAE_PYTHON -m maae score --run {params.folder} {params.args} > {log} 2>&1"
