# Etude: `make run` (install, build what is missing, serve) and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export ETUDE_HOME ?= ./var

.PHONY: run install dev test lint bench kg clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	# torch first: this exact pin takes the local CPU wheel instead of a multi-GB CUDA build.
	$(BIN)/pip install torch==2.13.0

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/pip install -e '.[dev]'
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

# Builds the knowledge graph when it is missing (`etude serve` would too; this shows its stats).
kg: install
	@if [ -z "$$ETUDE_NEO4J_URI" ] && [ -s "$(ETUDE_HOME)/kg/graph.db" ]; then \
		echo "knowledge graph present in $(ETUDE_HOME)/kg (etude kg build to rebuild)"; \
	else $(BIN)/etude kg build; fi

# Serves on http://127.0.0.1:8000; the first start also trains the NLU model (a few minutes).
run: kg
	$(BIN)/etude serve --host 127.0.0.1 --port 8000

test: dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: dev
	$(BIN)/ruff check .

bench: dev
	$(BIN)/python bench/kg_bench.py
	$(BIN)/python bench/load_chat.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
