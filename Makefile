# Two commands from a bare machine with Python 3.10+ and make:
#   make quick   the chapter on the bundled sample (offline), then its handouts
#   make test    the test suite (lint first), all but the full-data test (make test-full)
# Also: make check (lint and the fast tier of the tests, about two minutes: no notebook, training process,
# Dask cluster or browser; for the edit-test loop).
# Also: make lab (JupyterLab on notebooks/), make full DATA=PATH (the chapter's experiment, 3 seeds).
# Every target creates .venv when it is missing and reinstalls only when requirements.txt or
# pyproject.toml changed since the last install.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.chapter12-installed
QUICK_OUT ?= runs/quick
FULL_OUT ?= runs/full
REFERENCE_RUN ?= runs/reference
# The suite runs on this many processes (pytest-xdist): on 2 cores, the tests that wait on a kernel, a browser or
# a subprocess overlap with the others. The session's quick run is made once, by the first process that needs
# it, under a file lock (tests/conftest.py). A process that runs out of tests takes half of the other's
# (--dist worksteal): with xdist's default, one process ran alone for the last 220 s of 590 (docs/testing.md).
# Three processes were slower on 2 cores (9.3 min against 8.6, docs/testing.md). JOBS=0: this process alone.
JOBS ?= 2
PYTEST_JOBS := $(if $(filter 0,$(JOBS)),,-n $(JOBS) --dist worksteal)
# JupyterLab refuses to run as root unless told; these machines often are root.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: quick test test-full check lint lab full full-data reference reference-data site install check-ranges lock

install: $(INSTALLED)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The exact versions of requirements.lock (those make test last passed with); requirements.txt holds the ranges.
$(INSTALLED): requirements.lock requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# The same fast tier in an environment of the newest releases the ranges of requirements.txt allow: what a user
# who installs with pip gets. CI runs it after make test, so a new release that breaks chapter12 shows at once.
RANGES := .venv-ranges
check-ranges:
	test -x $(RANGES)/bin/python || $(PYTHON) -m venv $(RANGES)
	$(RANGES)/bin/python -m pip install --quiet --upgrade pip
	$(RANGES)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -r requirements.txt
	$(RANGES)/bin/python -m pip install --quiet --no-deps -e .
	$(RANGES)/bin/python -m pip freeze --exclude-editable | grep -iE '^(keras|tensorflow|numpy|papermill|dask)=='
	$(RANGES)/bin/python -m pytest -m "not slow and not full" $(PYTEST_JOBS) -q -p no:cacheprovider

# requirements.lock from the ranges of requirements.txt, with pip-tools in an environment of its own.
lock:
	test -x .venv-lock/bin/pip-compile || ($(PYTHON) -m venv .venv-lock && .venv-lock/bin/python -m pip install --quiet pip-tools)
	(echo "# The exact versions chapter12 was last tested with (make test passes with them): what make installs."; \
	 echo "# The ranges it supports are in requirements.txt; make lock regenerates this file from them (pip-tools)."; \
	 .venv-lock/bin/pip-compile --quiet --no-header --strip-extras --no-emit-index-url --no-emit-find-links \
	   --upgrade --output-file - requirements.txt) > requirements.lock.new
	mv requirements.lock.new requirements.lock

quick: $(INSTALLED)
	$(BIN)/python -m chapter12 reproduce --quick --out $(QUICK_OUT) --overwrite
	$(BIN)/python -m chapter12 handouts $(QUICK_OUT)
	@echo ""
	@echo "summary:  $(QUICK_OUT)/summary.md"
	@echo "handouts: $(QUICK_OUT)/handouts/index.html"

lint: $(INSTALLED)
	$(BIN)/python -m ruff check chapter12 tests benchmarks
	$(BIN)/python -m ruff format --check chapter12 tests benchmarks

test: lint
	$(BIN)/python -m pytest -m "not full" $(PYTEST_JOBS) --durations=10

# The book's experiment on the full Stanford data (one seed, both models: about 2-3 minutes on 2 cores); skipped
# where ../shared/data/aclImdb_v1_labeled.tar.gz (or $$CHAPTER12_FULL_DATA) is absent. CI runs it after make test.
test-full: $(INSTALLED)
	$(BIN)/python -m pytest -m full --durations=10

check: lint
	$(BIN)/python -m pytest -m "not slow and not full" $(PYTEST_JOBS) --durations=10

lab: $(INSTALLED)
	$(BIN)/python -m jupyter lab --notebook-dir=notebooks $(LAB_ARGS)

# Checked before anything is installed. Its one line is the error; make adds its own "Error 2" line.
full-data:
	@if [ -z "$(DATA)" ]; then \
	  echo "error: make full needs the data: make full DATA=PATH, PATH being aclImdb_v1.tar.gz, an aclImdb/ folder or imdb.npz" >&2; \
	  exit 2; \
	fi

full: full-data $(INSTALLED)
	$(BIN)/python -m chapter12 reproduce --data "$(DATA)" --seeds 0 1 2 --out $(FULL_OUT) --overwrite
	$(BIN)/python -m chapter12 handouts $(FULL_OUT)
	@echo ""
	@echo "summary:  $(FULL_OUT)/summary.md"
	@echo "handouts: $(FULL_OUT)/handouts/index.html"

# The committed reference (reference/): one full-data reproduction with the book's settings, seed 0, published
# without volatile metadata (python -m chapter12 publish). Regenerate after a change to the notebooks.
reference-data:
	@if [ -z "$(DATA)" ]; then \
	  echo "error: make reference needs the data: make reference DATA=PATH, PATH being aclImdb_v1.tar.gz, an aclImdb/ folder or imdb.npz" >&2; \
	  exit 2; \
	fi

reference: reference-data $(INSTALLED)
	$(BIN)/python -m chapter12 reproduce --data "$(DATA)" --seeds 0 --out $(REFERENCE_RUN) --overwrite
	$(BIN)/python -m chapter12 report benchmarks/results/sweep_full/results.jsonl --notebook --out $(REFERENCE_RUN)/sweep_full
	$(BIN)/python -m chapter12 publish $(REFERENCE_RUN) --out reference --overwrite \
	  --command "make reference DATA=$(notdir $(DATA))"

# The static site (site/, not committed) from reference/ and the docs; opens offline (docs/site.md).
site: $(INSTALLED)
	$(BIN)/python -m chapter12 site reference --out site --overwrite
