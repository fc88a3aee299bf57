# Two commands do all set-up on a fresh machine:  `make serve`  and  `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NODE_DIR   := tests/node
NODE_STAMP := $(if $(wildcard $(NODE_DIR)/package-lock.json),$(NODE_DIR)/node_modules/.clerkmock-installed)

# First Python 3.12 found: `python3` (pyenv shims honour .python-version), python3.12, then pyenv's install dirs.
FIND_PY := for c in python3 python3.12 $$HOME/.pyenv/versions/3.12*/bin/python; do \
	  command -v "$$c" >/dev/null 2>&1 && \
	  "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null && { echo "$$c"; break; }; \
	done

.PHONY: serve test venv lint
.DEFAULT_GOAL := test

serve: $(STAMP)
	$(VENV)/bin/clerkmock serve --scenario scenarios/basic.yaml

test: $(STAMP) $(NODE_STAMP)
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

# Benchmarks (not part of `make test`): needs wrk and hey (apt-get install wrk hey).  See docs/performance.md.
.PHONY: bench
bench: $(STAMP)
	$(PY) bench/run.py

# The larger spec-driven fuzz run (the suite runs 10 cases per operation): bench/fuzz.py --examples N.
.PHONY: fuzz
fuzz: $(STAMP)
	$(PY) bench/fuzz.py --examples $(or $(EXAMPLES),100)
