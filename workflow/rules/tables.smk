# Tables 1-3 of the paper, each as CSV, Markdown and LaTeX, beside the paper's numbers.

TABLES = {
    "table1": config["tables"].get("table1", []),
    "table2": config["tables"].get("table2", []),
    "table3": [config["tables"]["table3"]] if config["tables"].get("table3") else [],
}


rule table:
    """One table; a cell the suite could not fill says why (data missing, not in this scale, m not run)."""
    input:
        manifest=RESULTS / "datasets.json",
        runs=lambda w: dataset_runs_csv(TABLES[w.table]),
    output:
        csv=RESULTS / "tables" / "{table}.csv",
        md=RESULTS / "tables" / "{table}.md",
        tex=RESULTS / "tables" / "{table}.tex",
    log:
        RESULTS / "logs" / "tables" / "{table}.log",
    wildcard_constraints:
        table="table[123]",
    conda:
        ENV
    resources:
        **res("light"),
    params:
        results=RESULTS,
        datasets=lambda w: " ".join(TABLES[w.table]),
    shell:
        "$MAAE_PYTHON -m maae.report.tables {wildcards.table} --results {params.results} --out {params.results}/tables/{wildcards.table} "
        "--datasets {params.datasets} --runs {input.runs} > {log} 2>&1"


TABLE_FILES = {
    name: [RESULTS / "tables" / f"{name}.{ext}" for ext in ("csv", "md", "tex", "html")]
    for name in TABLES
    if TABLES[name]
}
