# Two commands do all set-up on a fresh machine:  `make serve`  and  `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_DIR   := tests/node
NODE_STAMP := $(if $(wildcard $(NODE_DIR)/package-lock.json),$(NODE_DIR)/node_modules/.clerkmock-installed)
# @clerk/testing + @playwright/test for tests/browser (Playwright drives /usr/bin/chromium: no browser download)
BROWSER_NODE_DIR   := tests/browser/node
BROWSER_NODE_STAMP := $(if $(wildcard $(BROWSER_NODE_DIR)/package-lock.json),$(BROWSER_NODE_DIR)/node_modules/.clerkmock-installed)

# First Python 3.12 found: `python3` (pyenv shims honour .python-version), python3.12, then pyenv's install dirs.
FIND_PY := for c in python3 python3.12 $$HOME/.pyenv/versions/3.12*/bin/python; do \
	  command -v "$$c" >/dev/null 2>&1 && \
	  "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null && { echo "$$c"; break; }; \
	done

.PHONY: serve test venv lint
.DEFAULT_GOAL := test

# make serve PORT=4900 SCENARIO=scenarios/b2b.yaml ARGS="--proxy-port 4901 --webhook http://…"
# (plain `=`, not `?=`: a PORT variable in the environment, e.g. an app's own, does not move clerkmock)
PORT     = 4818
SCENARIO = scenarios/basic.yaml
ARGS     =

serve: $(STAMP)
	CLERKMOCK_MAKE=1 $(VENV)/bin/clerkmock serve --port $(PORT) $(if $(SCENARIO),--scenario $(SCENARIO)) $(ARGS)

test: $(STAMP) $(NODE_STAMP) $(BROWSER_NODE_STAMP)
	$(PY) -m pytest -q

venv: $(STAMP)

# Static checks (docs/dependencies.md): ruff (pyflakes, bugbear, pyupgrade, simplify) and mypy (strict on the engine).
lint: $(STAMP)
	$(VENV)/bin/ruff check clerkmock tests bench tools
	$(VENV)/bin/mypy

$(STAMP): pyproject.toml
	@if [ ! -x $(PY) ]; then \
	  py="$$($(FIND_PY))"; \
	  if [ -z "$$py" ]; then echo "error: Python 3.12 not found (try: pyenv install 3.12)" >&2; exit 1; fi; \
	  echo "creating $(VENV) with $$py"; "$$py" -m venv $(VENV); \
	fi
	$(PY) -m pip install -q -e '.[test,dev]'
	@touch $@

$(NODE_DIR)/node_modules/.clerkmock-installed: $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	@touch $@

$(BROWSER_NODE_DIR)/node_modules/.clerkmock-installed: $(BROWSER_NODE_DIR)/package-lock.json
	cd $(BROWSER_NODE_DIR) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

# Benchmarks (not part of `make test`): needs wrk and hey (apt-get install wrk hey).  See docs/performance.md.
# BENCH_BEFORE: earlier commits served beside this tree in the same run; aa9af74 is the tree before issue 16,
# what its 2x targets are measured against (the report ends with those targets, met or not).
BENCH_BEFORE = aa9af74
.PHONY: bench
bench: $(STAMP)
	$(PY) bench/run.py $(foreach rev,$(BENCH_BEFORE),--before $(rev))

# The larger spec-driven fuzz run (the suite runs 10 cases per operation): bench/fuzz.py --examples N.
.PHONY: fuzz
fuzz: $(STAMP)
	$(PY) bench/fuzz.py --examples $(or $(EXAMPLES),100)
