# Helpers shared by the rules: the grid, paths, shell prefixes and resources. The logic lives in
# maae.scales (tested without Snakemake); this file only maps it onto the DAG.
import json
import shlex
import sys
from pathlib import Path

import yaml

from snakemake.utils import update_config, validate
from snakemake_interface_executor_plugins.settings import DeploymentMethod

ROOT = Path(workflow.basedir).parent  # the checkout: workflow/Snakefile is the catalog's layout
sys.path.insert(0, str(ROOT))  # maae importable here and in every job (below), installed or not
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

import stale_locks  # noqa: E402

from maae import scales, studies  # noqa: E402
from maae.config import ConfigError  # noqa: E402
from maae.kinds import MODEL_KINDS  # noqa: E402
from maae.report import where_n  # noqa: E402
from maae.run_folder import folder_conflict  # noqa: E402

# --config's nested values arrive as strings (maae.scales.typed_cli_config); type them, then check
update_config(config, scales.typed_cli_config(workflow.config_settings.config))
validate(config, "../schemas/config.schema.yaml")
try:
    scales.validate(config)  # what the schema cannot say: run overrides, figure m values, data set names
except ConfigError as err:
    raise WorkflowError(f"config error: {err}") from None

SCALE = config["scale"]
RESULTS = scales.results_root(config)
CONFIG_FILE = Path(
    workflow.overwrite_configfiles[-1] if workflow.overwrite_configfiles else "config/paper.yaml"
)
MANIFEST = scales.manifest(
    config, str(CONFIG_FILE.relative_to(ROOT) if CONFIG_FILE.is_relative_to(ROOT) else CONFIG_FILE)
)
READY = [name for name, info in MANIFEST["datasets"].items() if info["status"] == "ok"]
for _name, _info in MANIFEST["datasets"].items():
    if _info["status"] != "ok":
        logger.warning(f"{_name}: not run, {_info['reason']}")

# Jobs call $MAAE_PYTHON -m MODULE (set in every job's shell): in a conda environment that environment's
# python, otherwise the interpreter running Snakemake (a venv's), with this checkout first on the path,
# through workflow/scripts/run_module.py (a full disk or a read-only folder: one line naming the path). A shell
# variable, not a rule parameter, so switching venvs reruns nothing (paths with spaces are not supported).
CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
PYTHON = "python" if CONDA else sys.executable
shell.prefix(
    f"set -euo pipefail; MAAE_PYTHON='env PYTHONPATH={ROOT}:{ROOT}/workflow/scripts {PYTHON} "
    f"{ROOT}/workflow/scripts/run_module.py'; "
)
ENV = "../../envs/maae.yaml"


wildcard_constraints:
    dataset=r"[A-Za-z0-9_]+",
    model="|".join(MODEL_KINDS),
    m=r"\d+",
    seed=r"\d+",
    study=r"[A-Za-z0-9_]+",
    setting=r"[A-Za-z0-9_.+=-]+",


# After a Snakemake process was killed (SIGKILL, a lost machine), the same command must not need --unlock:
# workflow/scripts/stale_locks.py removes locks whose recorded owner is gone, and nothing else.
LOCK_DIR = Path(".snakemake") / "locks"
LOCK_OWNER = Path(".snakemake") / "maae-lock-owner.json"
if workflow.is_main_process and not workflow.dryrun:
    _owner = stale_locks.release(LOCK_DIR, LOCK_OWNER)
    if _owner:
        logger.warning(
            f"removed the locks left by Snakemake process {_owner['pid']}, which is gone (killed?); "
            "its unfinished jobs run again (training resumes from the last checkpoint)"
        )


# workflow/profiles/default (read last, after any --profile) limits GPU jobs to one at a time for a
# workstation; on a cluster that limit would hold GPU jobs back one by one across the whole cluster. (The
# executor is known only once jobs start, hence here.)
def warn_of_a_local_gpu_limit_on_a_cluster():
    limit = workflow.global_resources.get("gpu")
    if workflow.non_local_exec and getattr(limit, "value", limit) == 1:
        logger.warning(
            "gpu=1: one GPU job at a time across the cluster (the local default profile's limit). On a "
            "cluster use --workflow-profile workflow/profiles/slurm (or --workflow-profile none and your "
            "own profile), or pass --resources gpu=<how many at once>"
        )


onstart:
    stale_locks.record(LOCK_OWNER)
    warn_of_a_local_gpu_limit_on_a_cluster()


def res(kind):
    """Cluster resources of one kind of job (train, score, light) from the scale file."""
    return config["resources"].get(kind, {})


def runs_of(dataset, filename, models=None):
    """One file of every run of a data set (all models unless given)."""
    info = MANIFEST["datasets"][dataset]
    return [
        scales.run_dir(RESULTS, dataset, model, m, seed) / filename
        for model, m, seed in info["runs"]
        if models is None or model in models
    ]


def checked_run_args(wildcards):
    """A training job's --set arguments, once its run folder is checked (checked_overrides)."""
    run = wildcards.dataset, wildcards.model, int(wildcards.m), int(wildcards.seed)
    return set_args(checked_overrides(*run))


def checked_overrides(dataset, model, m, seed):
    """A run's maae.config values, once its run folder is checked: a folder whose config.json is not the
    run the scale asks for (edited by hand, or the scale changed under a finished run) is refused, naming
    the key, while Snakemake plans (parameters are evaluated for every planned job, finished or not), so
    before it would delete a finished run's outputs to train it again. (Not an input function: Snakemake
    drops an input function's error when the job's outputs exist.)"""
    cfg = scales.run_config(config, dataset, model, m, seed)
    conflict = folder_conflict(scales.run_dir(RESULTS, dataset, model, m, seed), cfg)
    if conflict:
        raise WorkflowError(
            f"run folder refused: {conflict} (restore its config.json, or delete the folder to train it anew)"
        )
    return scales.run_overrides(config, dataset, model, m, seed)


def checked_pack_args(dataset, members):
    """A pack job's arguments for `python -m maae train-pack`: the values its members share, then each
    member's folder and its own values (model, m, seed), every folder checked as for one run."""
    values = [checked_overrides(dataset, *run) for run in members]
    shared = {k: v for k, v in values[0].items() if all(k in o and o[k] == v for o in values[1:])}
    args = [set_args(shared)]
    for run, own in zip(members, values):
        args.append(shlex.quote(f"--member={scales.run_dir(RESULTS, dataset, *run)}"))
        args.append(set_args({k: v for k, v in own.items() if k not in shared}))
    return " ".join(args)


def set_args(values):
    """--set key=value arguments for `python -m maae`, each value as JSON (which the CLI reads as YAML)."""
    return " ".join(shlex.quote(f"--set={key}={json.dumps(value)}") for key, value in values.items())


def figure_inputs(name):
    """What a figure reads: its data sets' runs tables, or the files of the single runs it draws (those the
    scale ran; one it did not is drawn as a panel that says so)."""
    _, datasets, _, reads = FIGURES[name]
    if reads is None:
        return dataset_runs_csv(datasets)
    planned = {
        (d, *run) for d in datasets if d in READY for run in map(tuple, MANIFEST["datasets"][d]["runs"])
    }
    return [
        scales.run_dir(RESULTS, d, model, m, seed) / filename
        for d, model, m, seed, filename in reads
        if (d, model, m, seed) in planned
    ]


def dataset_runs_csv(names):
    """The per-data-set runs tables a target needs: only data sets that can run (others: a reason)."""
    return [RESULTS / "runs" / name / "runs.csv" for name in names if name in READY]


def write_manifest(manifest, resolved, output, log):
    """datasets.json and the resolved config.yaml (what `baselines live` reads), atomically."""
    write_atomic(output.manifest, json.dumps(manifest, indent=2) + "\n")
    header = f"# the {SCALE} scale as resolved for {RESULTS}\n"
    write_atomic(output.config, header + yaml.safe_dump(resolved, sort_keys=False))
    write_atomic(log, f"{sum(i['status'] == 'ok' for i in manifest['datasets'].values())} data sets ready\n")


def write_atomic(path, text):
    """Write a small file from the Snakemake process, never leaving a half-written one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def rewrite_if_changed(path, text):
    """Write ``path`` only when its text changes, so its mtime moves exactly when ``text`` does. The
    manifest takes the resolved scale (``only:`` among it) through such a file, so a changed scale re-makes
    datasets.json under every rerun trigger: params alone are not seen with `--rerun-triggers mtime`, nor
    for results restored without Snakemake's metadata (a stale datasets.json then skips the data sets the
    run was asked for). Unwritable (a read-only results root): left to the rules that must write there. A
    dry run (-n) writes nothing: a preview with another ``only:`` would otherwise move the stamp, and the
    next real run re-make every table and figure (its plan still shows the manifest through its params).
    Returns the manifest's input: the stamp, or nothing where a dry run finds none (the manifest is then
    missing too, and planned anyway)."""
    path = Path(path)
    if workflow.output_settings is not None and workflow.output_settings.dryrun:
        return [path] if path.is_file() else []
    try:
        if not path.is_file() or path.read_text() != text:
            write_atomic(path, text)
    except OSError as err:
        logger.warning(f"{path}: not updated ({err.strerror})")
    return [path]


SCALE_STAMP = rewrite_if_changed(
    RESULTS / ".scale.json",
    json.dumps(
        {"manifest": {**MANIFEST, "code_version": None}, "config": config}, sort_keys=True, default=str
    ),
)


def score_args(dataset):
    opts = scales.score_options(config, dataset)
    return (
        f"--metrics {','.join(opts.metrics)} --n-samples {opts.n_samples} --n-real {opts.n_real} "
        f"--n-codes {opts.n_codes} --kde-n-fit {opts.kde_n_fit} --kde-n-val {opts.kde_n_val} "
        f"--lenet-epochs {opts.lenet_epochs} --cache-dir {shlex.quote(opts.cache_dir)} --device {opts.device}"
    )


def figure_jobs():
    """name -> (figure kind, data sets it reads, extra CLI arguments, the run files it reads), from the
    scale's figures section. A figure over m reads its data sets' runs tables (run files None); a figure
    of single runs reads those runs' files alone, of the data set's first seed (trained at every m), so
    that asking for it plans only them. Never model.pt: asking for it retrains a run whose weights were
    not kept (a restored reference), where the figure would say so in a panel."""
    figs = config["figures"]
    jobs = {}

    def first(dataset):
        return config["datasets"][dataset]["seeds"][0]

    def seed(dataset):
        return f"--seed {first(dataset)}"

    def at_capacity(dataset, filename):
        m = scales.capacity(config, dataset)
        return [(dataset, model, m, first(dataset), filename) for model in ("maae", "wae")]

    if figs.get("fig1"):
        jobs["fig1"] = ("fig1", figs["fig1"], "--datasets " + " ".join(figs["fig1"]), None)
    for name in ("fig4a", "fig4b", "fig4c"):
        if figs.get(name):
            jobs[name] = ("fig4", [figs[name]], f"--dataset {figs[name]}", None)
    if figs.get("fig5"):
        fig = figs["fig5"]
        jobs["fig5"] = (
            "fig5",
            [fig["dataset"]],
            f"--dataset {fig['dataset']} --m {' '.join(map(str, fig['m']))} {seed(fig['dataset'])}",
            [(fig["dataset"], "maae", m, first(fig["dataset"]), "summary.json") for m in fig["m"]],
        )
    if figs.get("fig8"):
        fig = figs["fig8"]
        jobs["fig8"] = (
            "fig8",
            [fig["dataset"]],
            f"--dataset {fig['dataset']} --m {fig['m']} {seed(fig['dataset'])}",
            [(fig["dataset"], "maae", fig["m"], first(fig["dataset"]), "summary.json")],
        )
    for dataset in figs.get("fig6", []):
        jobs[f"fig6_{dataset}"] = (
            "fig6",
            [dataset],
            f"--dataset {dataset} {seed(dataset)}",
            at_capacity(dataset, "summary.json"),  # not model.pt: a run kept without it draws a panel
        )
    for dataset in figs.get("heatmaps", []):
        jobs[f"heatmaps_{dataset}"] = (
            "heatmaps",
            [dataset],
            f"--dataset {dataset} {seed(dataset)}",
            at_capacity(dataset, "scores.json"),
        )
    return jobs


# The HTML report (snakemake --report report.zip): every figure, table, baseline table and the verdict, in
# categories that follow the paper (the verdict first: the menu sorts by name), each with labels (data sets,
# models, m, seeds, scale: the columns and toggles of the report's tables) and a caption that says what it
# shows and at which scale. The verdict and tables are shown as HTML pages (rule md_html); their Markdown,
# CSV and LaTeX files stay the outputs to use elsewhere.

SECTIONS = {  # the number keeps the paper's order in the report's menu
    "verdict": "1. Verdict: every claim, pass / fail / not run",
    "latent": "2. Latent size m (Fig. 1, Fig. 4; §1, §5)",
    "mask": "3. The mask over training (Fig. 5, Fig. 8)",
    "tables": "4. Tables 1-3: FID, m_A and NAC, KDE log-likelihood",
    "samples": "5. Samples and NAC heatmaps (Fig. 6; supplement §10.4)",
    "baselines": "6. Naive searches over m (supplement §8)",
}
FIGURE_REPORT = {  # figure kind: (section, subcategory, what it shows)
    "fig1": (
        "latent",
        "Fig. 1: WAE score vs m",
        "The WAE's primary score against the latent size m, one panel per data set: the U-shape of the paper's Fig. 1, its minimum near n.",
    ),
    "fig4": (
        "latent",
        "Fig. 4: score and m_A vs m",
        "Each model's primary score (mean over seeds, its 95% interval over seeds as a band, each seed as a dot) and MAAE's active dimensions m_A against the latent size m, with the lines m_A = n and m_A = m.",
    ),
    "fig5": (
        "mask",
        "Fig. 5: mask values",
        "Each mask value mu_j of one MAAE run over training, one panel per m: the mask closing the dimensions it does not need.",
    ),
    "fig8": (
        "mask",
        "Fig. 8: training curves",
        "omega (the Wasserstein estimate), the reconstruction loss and m_A of one MAAE run over training, on one step axis.",
    ),
    "fig6": (
        "samples",
        "Fig. 6: samples",
        "Samples of MAAE and the WAE from their final weights, side by side, at the data set's capacity m.",
    ),
    "heatmaps": (
        "samples",
        "NAC heatmaps",
        "The normalised absolute covariance of WAE and MAAE codes (supplement §10.4) at the data set's capacity m, on one colour scale.",
    ),
}
TABLE_REPORT = {
    "table1": (
        "Table 1: FID",
        "The paper's Table 1 (FID, lower is better) with the suite's MAAE, WAE and WAE-GAN rows beside the paper's, at each data set's capacity m.",
    ),
    "table2": (
        "Table 2: m_A and NAC",
        "The paper's Table 2: active dimensions m_A and NAC of encoded test codes for the WAE and MAAE at each data set's capacity m, the paper's numbers beside the suite's.",
    ),
    "table3": (
        "Table 3: KDE log-likelihood",
        "Supplement Table 3: the mean KDE log-likelihood of generated samples (higher is better) against m, the paper's numbers beside the suite's.",
    ),
}


def rst_text(text):
    """Plain text as reStructuredText (captions are rendered by docutils)."""
    return " ".join(
        text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("|", "\\|").split()
    )


def m_text(values):
    values = list(values)
    return (
        ", ".join(map(str, values))
        if len(values) <= 8
        else f"{values[0]}..{values[-1]} ({len(values)} values)"
    )


def scale_text(names):
    """What the scale ran for these data sets (or why not), for a caption."""
    parts = []
    for name in names:
        info = MANIFEST["datasets"].get(name)
        if info is None:
            parts.append(f"{name}: not in this scale")
        elif info["status"] != "ok":
            parts.append(f"{name}: {info['reason']}")
        else:
            parts.append(
                f"{name}: {', '.join(info['models'])}, m = {m_text(info['m'])} (capacity {info['capacity']}), "
                f"seeds {', '.join(map(str, info['seeds']))} ({len(info['runs'])} runs), {info['steps']:,} iterations, "
                f"metric {info['metric']}"
            )
    return f"Scale: {SCALE} ({CONFIG_FILE.name}). " + "; ".join(parts) + "."


def data_labels(names, m=None):
    """The labels every report item carries: the data sets, models, m, seeds and scale it covers."""
    infos = [MANIFEST["datasets"][n] for n in names if n in MANIFEST["datasets"]]
    return {
        "data set": ", ".join(names) or "-",
        "models": ", ".join(dict.fromkeys(m for i in infos for m in i["models"])) or "-",
        "m": m or ("; ".join(m_text(i["m"]) for i in infos) or "-"),
        "seeds": ", ".join(dict.fromkeys(str(s) for i in infos for s in i["seeds"])) or "-",
        "scale": SCALE,
    }


def figure_report(name):
    """(category, subcategory, labels, caption) of one figure."""
    kind, datasets, _, _ = FIGURES[name]
    section, subcategory, what = FIGURE_REPORT[kind]
    figs = config["figures"]
    m = {
        "fig5": lambda: m_text(figs["fig5"]["m"]),
        "fig8": lambda: str(figs["fig8"]["m"]),
        "fig6": lambda: str(scales.capacity(config, datasets[0])),
        "heatmaps": lambda: str(scales.capacity(config, datasets[0])),
    }.get(kind, lambda: None)()
    labels = {"figure": name, **data_labels(datasets, m)}
    return SECTIONS[section], subcategory, labels, rst_text(f"{name}: {what} {scale_text(datasets)}")


def page_report(folder, name):
    """(category, subcategory, labels, caption) of the verdict, a table or a baseline table (as HTML)."""
    if folder == "report":
        what = (
            "The verdict: every testable claim of the paper with pass, fail, inconclusive or not run (and why), "
            "the paper's numbers beside the suite's, and the runs and figures behind each verdict."
        )
        return (
            SECTIONS["verdict"],
            "Verdict",
            {"report": "verdict", **data_labels(READY)},
            rst_text(f"{what} {scale_text(list(MANIFEST['datasets']))}"),
        )
    if folder == "tables":
        subcategory, what = TABLE_REPORT[name]
        labels = {"table": subcategory, **data_labels(TABLES[name])}
        return SECTIONS["tables"], subcategory, labels, rst_text(f"{what} {scale_text(TABLES[name])}")
    what = (
        f"Linear and ternary search over m by the WAE's score ({config['baselines']['mode']}), against one "
        "MAAE run at the largest m: models trained, their cost in measured training time, the m chosen."
    )
    return (
        SECTIONS["baselines"],
        "Naive searches",
        {"search": name, **data_labels([name])},
        rst_text(f"{what} {scale_text([name])}"),
    )


# Study runs (rules/studies.smk): each in its variant folder, checked like a grid run's.
STUDY_RUN = scales.run_dir(RESULTS, "{dataset}", "{model}", "{m}", "{seed}", "{study}~{setting}")
STUDY_OUT = RESULTS / "studies" / "{study}"


def study_run(wildcards):
    """The planned study run these wildcards name; an error for one the study does not plan."""
    for run in studies.runs(config, wildcards.study):
        if (run.setting, run.dataset, run.model, str(run.m), str(run.seed)) == (
            wildcards.setting,
            wildcards.dataset,
            wildcards.model,
            wildcards.m,
            wildcards.seed,
        ):
            return run
    raise WorkflowError(f"study {wildcards.study} plans no run {dict(wildcards)}")


def where_n_inputs(wildcards):
    """The runs tables of the grid's data sets and of the studies trained with the synthetic recipe."""
    try:
        grid, recipe_studies, _ = where_n.sources(config)
    except where_n.StudyError as err:
        raise WorkflowError(f"where_n: {err}") from None
    return [RESULTS / "runs" / d / "runs.csv" for d in grid] + [
        RESULTS / "studies" / s / "runs.csv" for s in recipe_studies
    ]


def checked_study_args(wildcards):
    """As checked_run_args: a study run folder whose config.json is another run is refused at planning."""
    run = study_run(wildcards)
    cfg = studies.run_config(config, run.study, run.setting, run.n, run.model, run.seed)
    conflict = folder_conflict(run.folder(RESULTS), cfg)
    if conflict:
        raise WorkflowError(f"run folder refused: {conflict} (restore its config.json, or delete the folder)")
    return set_args(studies.run_overrides(config, run.study, run.setting, run.n, run.model, run.seed))


def study_files(name, filename):
    return [run.folder(RESULTS) / filename for run in studies.runs(config, name)]


def study_score_args(wildcards):
    opts = studies.score_options(config, wildcards.study)
    return (
        f"--metrics {','.join(opts.metrics)} --n-samples {opts.n_samples} --n-real {opts.n_real} "
        f"--cache-dir {shlex.quote(opts.cache_dir)} --device {opts.device}"
    )
