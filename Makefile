# Entry points for a fresh machine; each builds .venv first.
#   make cpu    the main job at CPU size: config/cpu.yaml, every table, figure and the verdict report
#   make test   the tests
PYTHON ?= python3
VENV ?= .venv
# torch and torchvision as pinned for the suite's reference machines (CPU or CUDA 13 wheels);
# override, e.g. TORCH_SPEC="torch torchvision", to take whatever your platform offers.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
# Where MNIST/, FashionMNIST/, cifar-10-batches-py/ and celeba/ are (README, "Data").
DATA_ROOT ?= data
CORES ?= 2
SNAKEMAKE = $(VENV)/bin/snakemake --cores $(CORES) --config data_root=$(DATA_ROOT)

.PHONY: venv cpu smoke paper-plan demo test lint lockstep

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet $(TORCH_SPEC)
	$(VENV)/bin/pip install --quiet -e ".[test,workflow]"
	touch $@

venv: $(VENV)/.installed

cpu: venv
	$(SNAKEMAKE) --configfile=config/cpu.yaml all

# the sensitivity study at the cpu scale (not part of all; README "Is MaskAAE fragile?")
cpu-study: venv
	$(SNAKEMAKE) --configfile=config/cpu.yaml sensitivity

smoke: venv
	$(SNAKEMAKE) --configfile=config/smoke.yaml all

# the sensitivity study in miniature (every study rule; README "Is MaskAAE fragile?")
smoke-study: venv
	$(SNAKEMAKE) --configfile=config/smoke.yaml sensitivity

paper-plan: venv
	$(VENV)/bin/snakemake -n --configfile=config/paper.yaml all

demo: venv
	$(VENV)/bin/python bench/synthetic_recovery.py

# The lock-step check against the authors' TensorFlow graph (bench/lockstep_authors.py; not part of CI):
# its own venv with TensorFlow beside torch. AUTHORS: a copy of their MaskAAE_MNIST.py.
AUTHORS ?= ../shared/authors/MaskAAE_MNIST.py
TF_VENV ?= .venv-tf
$(TF_VENV)/.installed:
	$(PYTHON) -m venv $(TF_VENV)
	$(TF_VENV)/bin/pip install --quiet $(TORCH_SPEC)
	$(TF_VENV)/bin/pip install --quiet tensorflow-cpu==2.21.0 tf-keras==2.21.0 matplotlib numpy pyyaml scipy tqdm
	$(TF_VENV)/bin/pip install --quiet -e . --no-deps
	touch $@

lockstep: $(TF_VENV)/.installed
	$(TF_VENV)/bin/python bench/lockstep_authors.py --authors $(AUTHORS)

test: venv
	$(VENV)/bin/python -m pytest -q

# ruff; snakefmt on workflow/Snakefile and workflow/rules/*.smk; Snakemake's own linter on the smoke scale (exits 1 on
# any finding: snakemake.cli returns False when workflow.lint() printed one)
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/snakefmt --check .
	$(VENV)/bin/snakemake --lint --configfile=config/smoke.yaml
