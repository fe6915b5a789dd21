# The two commands of the README: `make run` (the main job) and `make test` (the whole suite).
# Both create .venv from pyproject.toml on first use and install the Graphviz `dot` program where they can.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit graphviz chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The main job: the AAP delete-during-provision race, with its timeline, summary and verdict.
run: $(STAMP) graphviz
	$(BIN)/python -m sim scenario delete-during-provision-aap --seed 1

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check models sim tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest exits 5 when it collected no tests: make treats that, like any failure, as an error.
unit: $(STAMP) graphviz chromium
	$(BIN)/pytest

# `dot` renders SVG/PNG. Installed with apt where we are root; in CI (CI=true) it is required.
graphviz:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Graphviz (dot) with apt-get ..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
	    || echo "could not install graphviz with apt-get"; \
	fi
	@if ! command -v dot >/dev/null 2>&1; then \
	  if [ "$${CI:-}" = true ]; then echo "CI requires the Graphviz dot program and it could not be installed" >&2; exit 1; fi; \
	  echo "note: Graphviz dot is missing; .dot files are still written. Install it for SVG: sudo apt-get install graphviz (or brew install graphviz)"; \
	fi

# Headless Chromium runs the HTML report's browser test (tests/report). Installed with apt where we are root;
# in CI (CI=true) it is required; locally the test is skipped with a reason when it is missing.
BROWSER_FOUND = command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1
chromium:
	@if $(BROWSER_FOUND); then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Chromium with apt-get ..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "could not install chromium with apt-get"; \
	fi
	@if ! { $(BROWSER_FOUND); }; then \
	  if [ "$${CI:-}" = true ]; then echo "CI requires Chromium for the HTML report's browser test and it could not be installed" >&2; exit 1; fi; \
	  echo "note: Chromium is missing, so the browser test of the HTML report is skipped. Install it: sudo apt-get install chromium"; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
