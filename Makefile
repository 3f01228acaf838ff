# The two set-up commands: `make demo` and `make test`. Both build the virtual environment
# they need on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= demo-output

.PHONY: demo test test-py313 contract preview screenshots bench stress clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# Node test dependencies (playwright-core drives Debian's Chromium; no browser is downloaded).
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

demo: $(STAMP)
	$(PY) -m backend demo --out $(OUT)

# tests/web/test_web_node_suites.py runs `node --test` on tests/appsscript and tests/sidebar.
# Two pytest-xdist workers (a small CI runner has two cores), each with its own PostgreSQL
# server and temp dirs; tests go to whichever worker is free, the longest first
# (tests/conftest.py). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist load

# The integration scenarios on real test accounts (tests/contract/README.md); without the
# CONTRACT_* variables each real scenario is skipped, naming what it lacks.
contract: $(STAMP)
	$(PY) -m pytest -q -m contract tests/contract -rs

# The sidebar and the whole flow on the demo company, in a browser, with no account; it
# opens on the demo company's month (2026-10).   make preview PREVIEW_ARGS="--month 2026-09"
PREVIEW_ARGS ?=
preview: $(STAMP)
	$(PY) -m backend.web.preview $(PREVIEW_ARGS)

# The only command that rewrites the committed screenshots (docs/screenshots/): the sidebar
# suite in Chromium with its folder set there. `make test` writes its own to a temp folder.
screenshots: $(STAMP) $(NODE_STAMP)
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots PYTHON=$(abspath $(PY)) node --test --test-reporter=spec tests/sidebar/*.test.js

# Issue 6: the benchmark table against the sandbox (a few minutes; not run in CI).
#   make bench BENCH_ARGS="--quick"    or    BENCH_ARGS="--latency 0.1 --sizes 500,5000"
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) -m bench.run $(BENCH_ARGS)

# Issue 7: the reliability and security campaign at full size (faults, floods, bad input,
# intruders; about 23 minutes here). `make test` runs every part at CI size.
#   make stress STRESS_ARGS="--parts faults --seed 7"
#   make stress STORE=postgresql    the fault schedules on PostgreSQL (a throwaway server)
STRESS_ARGS ?=
STORE ?= sqlite
stress: $(STAMP)
	$(PY) -m stress.run --json stress-figures.json --store $(STORE) $(STRESS_ARGS)

# App Engine runs Python 3.13: the same suite on it, where the machine has it.
PY313 ?= $(firstword $(wildcard /root/.pyenv/versions/3.13*/bin/python3) $(shell command -v python3.13 2>/dev/null))
test-py313:
	@if [ -z "$(PY313)" ]; then echo "no Python 3.13 on this machine"; exit 1; fi
	$(MAKE) test PYTHON=$(PY313) VENV=.venv313

clean:
	rm -rf $(VENV) .venv313 $(OUT) .pytest_cache .hypothesis ledger.db node_modules stress-figures.json
