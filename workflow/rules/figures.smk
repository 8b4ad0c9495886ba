# Figures 1, 4a/b/c, 5, 6 (sample grids), 8 (training curves) and NAC covariance heatmaps, as PDF and PNG.


def figure_jobs():
    """name -> (figure kind, data sets it reads, extra CLI arguments), from the scale's figures section."""
    figs = config["figures"]
    jobs = {}
    if figs.get("fig1"):
        jobs["fig1"] = ("fig1", figs["fig1"], "--datasets " + " ".join(figs["fig1"]))
    for name in ("fig4a", "fig4b", "fig4c"):
        if figs.get(name):
            jobs[name] = ("fig4", [figs[name]], f"--dataset {figs[name]}")
    if figs.get("fig5"):
        fig = figs["fig5"]
        jobs["fig5"] = ("fig5", [fig["dataset"]], f"--dataset {fig['dataset']} --m {' '.join(map(str, fig['m']))}")
    if figs.get("fig8"):
        fig = figs["fig8"]
        jobs["fig8"] = ("fig8", [fig["dataset"]], f"--dataset {fig['dataset']} --m {fig['m']}")
    for dataset in figs.get("fig6", []):
        jobs[f"fig6_{dataset}"] = ("fig6", [dataset], f"--dataset {dataset}")
    for dataset in figs.get("heatmaps", []):
        jobs[f"heatmaps_{dataset}"] = ("heatmaps", [dataset], f"--dataset {dataset}")
    return jobs


FIGURES = figure_jobs()


rule figure:
    """One figure; a figure whose data are missing is drawn as a panel that says why."""
    input:
        manifest=RESULTS / "datasets.json",
        runs=lambda w: dataset_runs_csv(FIGURES[w.figure][1]),
    output:
        pdf=RESULTS / "figures" / "{figure}.pdf",
        png=RESULTS / "figures" / "{figure}.png",
    params:
        results=RESULTS,
        kind=lambda w: FIGURES[w.figure][0],
        args=lambda w: FIGURES[w.figure][2],
    wildcard_constraints:
        figure="|".join(FIGURES) or "no-figures",
    log:
        RESULTS / "logs" / "figures" / "{figure}.log",
    resources:
        **res("light"),
    conda:
        ENV
    shell:
        "MPLBACKEND=Agg $MAAE_PYTHON -m maae.report.figures {params.kind} --results {params.results} "
        "--out {params.results}/figures/{wildcards.figure} {params.args} --runs {input.runs} > {log} 2>&1"


FIGURE_FILES = {name: [RESULTS / "figures" / f"{name}.{ext}" for ext in ("pdf", "png")] for name in FIGURES}
