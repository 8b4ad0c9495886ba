# Figures 1, 4a/b/c, 5, 6 (sample grids), 8 (training curves) and NAC covariance heatmaps, as PDF and PNG.


FIGURES = figure_jobs()


rule figure:
    """One figure; a figure whose data are missing is drawn as a panel that says why."""
    input:
        manifest=RESULTS / "datasets.json",
        runs=lambda w: figure_inputs(w.figure),
    output:
        pdf=RESULTS / "figures" / "{figure}.pdf",
        png=report(
            RESULTS / "figures" / "{figure}.png",
            caption="../report/caption.rst",
            category=lambda w: figure_report(w.figure)[0],
            subcategory=lambda w: figure_report(w.figure)[1],
            labels=lambda w: figure_report(w.figure)[2],
        ),
    log:
        RESULTS / "logs" / "figures" / "{figure}.log",
    wildcard_constraints:
        figure="|".join(FIGURES) or "no-figures",
    conda:
        ENV
    resources:
        **res("light"),
    params:
        results=RESULTS,
        kind=lambda w: FIGURES[w.figure][0],
        args=lambda w: FIGURES[w.figure][2],
        tables=lambda w, input: " ".join(shlex.quote(f) for f in input.runs if f.endswith("runs.csv")),
        caption=lambda w: figure_report(w.figure)[3],
    shell:
        "MPLBACKEND=Agg $MAAE_PYTHON -m maae.report.figures {params.kind} --results {params.results} "
        "--out {params.results}/figures/{wildcards.figure} {params.args} --runs {params.tables} > {log} 2>&1"


FIGURE_FILES = {name: [RESULTS / "figures" / f"{name}.{ext}" for ext in ("pdf", "png")] for name in FIGURES}
