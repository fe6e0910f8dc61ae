# netintel: two commands do everything on a fresh machine: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKSPACE ?= out/demo.duckdb

.PHONY: demo test lab sample bench clean install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever the project's metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@mkdir -p out
	rm -f $(WORKSPACE)
	$(BIN)/netintel ingest data/sample --workspace $(WORKSPACE)
	$(BIN)/netintel brief data/sample --workspace $(WORKSPACE) --out out/briefing

test: $(STAMP)
	$(BIN)/python -m pytest -q

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

sample: $(STAMP)
	$(BIN)/python -m netintel.synth --out data/sample --seed 7

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_resolve.py
	$(BIN)/python benchmarks/bench_graph.py

clean:
	rm -rf $(VENV) out
