# cxaudit: `make run` serves the demo, `make test` runs the whole suite. Both set up what they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: run test setup assets lint format bench clean pdf-libs

setup: $(PY_STAMP) $(NODE_STAMP) pdf-libs

# WeasyPrint's system libraries (Pango, HarfBuzz, fonts) from Debian's packages.
pdf-libs:
	@bash scripts/pdf-libs.sh

$(PY_STAMP): pyproject.toml
	@command -v python3.11 >/dev/null 2>&1 && PYBIN=python3.11 || PYBIN=python3; \
	  [ -x $(PY) ] || $$PYBIN -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# Front-end assets come from the npm registry and are served by the app (never a CDN).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

assets: $(NODE_STAMP)

run: setup
	@bash scripts/run.sh

test: setup
	@bash scripts/test.sh

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(PY_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	@bash scripts/bench.sh

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
