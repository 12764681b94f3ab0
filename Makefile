# Local development. Everything runs from the repository root with the project venv (.venv/).
#   make venv    create .venv with Python 3.11 and install the project (re-runs when pyproject.toml changes)
#   make run     serve the API on http://127.0.0.1:3000 (PORT=...) on DynamoDB Local (127.0.0.1:8000)
#   make invoke  FUNCTION=<logical id or folder> EVENT=events/<file>.json [INVOKE_ARGS=--start-db]
#   make test    pytest on 2 workers (PYTEST_ARGS=... to add options; "no tests" is a failure)
#   make lint    ruff check, ruff format --check, mypy
#   make bench   python -m infra.bench (once it exists)
#   make clean   remove caches and local DynamoDB data (keeps .venv and the DynamoDB Local download)
#   make distclean  also remove .venv and .local/

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
INVOKE_ARGS ?=

# Python 3.11 is required (pyproject: >=3.11,<3.12): python3.11, else python3 if it is 3.11.
PYTHON311 := $(shell for p in python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; \
	then command -v $$p; break; fi; done)

.PHONY: help venv run invoke test lint bench clean distclean

help:
	@sed -n 's/^#   //p' Makefile

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON311)" ]; then \
		echo "error: Python 3.11 is required (neither python3.11 nor python3 is 3.11)" >&2; exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
		echo "error: $(VENV) is not Python 3.11; remove it (make distclean) and re-run" >&2; exit 1; fi
	@if [ ! -x $(PY) ]; then $(PYTHON311) -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: venv
	$(PY) -m infra.local.server

invoke: venv
	@if [ -z "$(FUNCTION)" ] || [ -z "$(EVENT)" ]; then \
		echo "usage: make invoke FUNCTION=<logical id or folder> EVENT=<event.json> [INVOKE_ARGS=--start-db]" >&2; \
		exit 2; fi
	$(PY) -m infra.local.invoke '$(FUNCTION)' '$(EVENT)' $(INVOKE_ARGS)

# pytest exits 5 when it collected no tests: make fails on any non-zero exit, and says why.
test: venv
	@rc=0; $(PY) -m pytest -n 2 $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; fi; \
	exit $$rc

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: venv
	@if $(PY) -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("infra.bench") is None)'; then \
		$(PY) -m infra.bench; \
	else echo "infra.bench does not exist yet"; fi

clean:
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .local/dynamodb

distclean: clean
	rm -rf $(VENV) .local
