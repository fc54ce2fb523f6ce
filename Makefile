# Two commands from a bare machine with Python 3.10+ and make:
#   make quick   the chapter on the bundled sample (offline), then its handouts
#   make test    the test suite (lint first)
# Also: make check (lint and the fast tier of the tests, about a minute: no notebook, training process,
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
# JupyterLab refuses to run as root unless told; these machines often are root.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: quick test check lint lab full full-data install

install: $(INSTALLED)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

quick: $(INSTALLED)
	$(BIN)/python -m chapter12 reproduce --quick --out $(QUICK_OUT) --overwrite
	$(BIN)/python -m chapter12 handouts $(QUICK_OUT)
	@echo ""
	@echo "summary:  $(QUICK_OUT)/summary.md"
	@echo "handouts: $(QUICK_OUT)/handouts/index.html"

lint: $(INSTALLED)
	$(BIN)/python -m ruff check chapter12 tests benchmarks

test: lint
	$(BIN)/python -m pytest --durations=10

check: lint
	$(BIN)/python -m pytest -m "not slow and not full" --durations=10

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
