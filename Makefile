# netintel: two commands do everything on a fresh machine: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKSPACE ?= out/demo.duckdb

.PHONY: demo test lab sample bench clean install notebooks sysdeps

# System (Debian) packages the tests need, in one place: add a package here (e.g. a JDK for Spark)
# with a command that shows it is installed. Installed with apt-get only when something is missing.
SYSDEPS := chromium chromium-driver
SYSDEPS_CHECK := command -v chromium && command -v chromedriver

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

# The browser tests drive Debian's chromium; CI runs as root and installs it here on a fresh machine.
sysdeps:
	@if ! ( $(SYSDEPS_CHECK) ) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(SYSDEPS); \
	  else \
	    echo "missing system packages; run: sudo apt-get install -y $(SYSDEPS)" >&2; exit 1; \
	  fi; \
	fi

test: $(STAMP) sysdeps
	$(BIN)/python -m pytest -q

# Re-execute the notebooks in place (outputs kept for nbval, execution timestamps dropped).
NB ?= notebooks/*.ipynb
notebooks: $(STAMP)
	MPLBACKEND=Agg $(BIN)/jupyter nbconvert --to notebook --execute --inplace $(NB)
	$(BIN)/python -c "import json,sys; [(lambda nb: ([c['metadata'].pop('execution', None) for c in nb['cells']], json.dump(nb, open(p, 'w'), indent=1, ensure_ascii=False), open(p, 'a').write('\\n')))(json.load(open(p))) for p in sys.argv[1:]]" $(NB)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

sample: $(STAMP)
	$(BIN)/python -m netintel.synth --out data/sample --seed 7

bench: $(STAMP) sysdeps
	$(BIN)/python benchmarks/bench_resolve.py
	$(BIN)/python benchmarks/bench_graph.py
	$(BIN)/python benchmarks/bench_search.py
	$(BIN)/python benchmarks/bench_explore.py

clean:
	rm -rf $(VENV) out
