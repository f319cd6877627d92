# Set-up and checks from a fresh checkout, with only Python 3 (and make).
#
#   make demo   the demo: trains a forecaster and a classifier on data shipped
#               with the package, prints their scores and saves a plot
#   make test   the test suite
#   make docs   the documentation, warnings as errors
#
# Each target creates the virtual environment .venv if it is missing and
# installs what it needs once: torch first, pinned to its CPU build (an
# unpinned torch pulls a multi-GB CUDA build), then sklstm in editable mode
# with its extras. The stamp file records that the install is done; it is
# redone only when pyproject.toml changes (or after make clean).

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
EXTRAS ?= plots,test,docs,onnx

BIN := $(VENV)/bin
STAMP := $(VENV)/.sklstm-installed

.PHONY: demo test docs clean

demo: $(STAMP)
	cd "$$(mktemp -d)" && "$(CURDIR)/$(BIN)/sklstm" demo

test: $(STAMP)
	$(BIN)/python -m pytest

# examples are executed by the tests, so the gallery is built without them
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html -D plot_gallery=0 docs docs/_build/html

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

clean:
	rm -rf $(VENV) docs/_build docs/generated docs/auto_examples docs/sg_execution_times.rst
