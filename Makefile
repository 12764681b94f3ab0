# Local development. Everything runs from the repository root with the project venv (.venv/).
#   make venv    create .venv with Python 3.11 and install the project (re-runs when pyproject.toml changes)
#   make run     serve the API on http://127.0.0.1:3000 (PORT=...) on DynamoDB Local (127.0.0.1:8000)
#   make invoke  FUNCTION=<logical id or folder> EVENT=events/<file>.json [INVOKE_ARGS=--start-db]
#   make test    pytest on 2 workers (PYTEST_ARGS=... to add options; "no tests" is a failure)
#   make tools   install asl-validator (npm) into .local/asl-validator (statelint comes with the venv)
#   make statelint  validate infra/statemachines/*.asl.json with statelint and asl-validator
#   make execute STATE_MACHINE=ApplyAccountCredits INPUT='{"billingAccountId":"..."}' [EXECUTE_ARGS=--start-db]
#   make lint    ruff check, ruff format --check, mypy
#   make audit   pip-audit of the runtime dependencies (fails on a known vulnerability)
#   make bench   benchmarks on a fresh in-memory DynamoDB Local: table + .local/bench.json (BENCH_ARGS=--quick)
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
BENCH_ARGS ?=
EXECUTE_ARGS ?=
ASL_VALIDATOR_VERSION := 4.0.0
ASL_VALIDATOR := .local/asl-validator/node_modules/.bin/asl-validator
ASL_FILES := $(wildcard infra/statemachines/*.asl.json)

# Python 3.11 is required (pyproject: >=3.11,<3.12): python3.11, else python3 if it is 3.11.
PYTHON311 := $(shell for p in python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; \
	then command -v $$p; break; fi; done)

.PHONY: help venv run invoke test lint audit bench clean distclean tools statelint execute

help:
	@sed -n 's/^#   //p' Makefile

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON311)" ]; then \
		echo "error: Python 3.11 is required (neither python3.11 nor python3 is 3.11)" >&2; exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
		echo "error: $(VENV) is not Python 3.11; remove it (make distclean) and re-run" >&2; exit 1; fi
	@if [ ! -x $(PY) ]; then $(PYTHON311) -m venv $(VENV); fi
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: venv
	$(PY) -m infra.local.server

invoke: venv
	@if [ -z "$(FUNCTION)" ] || [ -z "$(EVENT)" ]; then \
		echo "usage: make invoke FUNCTION=<logical id or folder> EVENT=<event.json> [INVOKE_ARGS=--start-db]" >&2; \
		exit 2; fi
	$(PY) -m infra.local.invoke '$(FUNCTION)' '$(EVENT)' $(INVOKE_ARGS)

# asl-validator comes from the npm registry; without npm the state machines are still
# checked by statelint (a Python dev dependency), and the asl-validator tests skip.
tools: $(ASL_VALIDATOR)

$(ASL_VALIDATOR):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix .local/asl-validator --no-audit --no-fund --silent \
			asl-validator@$(ASL_VALIDATOR_VERSION); \
	else echo "warning: npm not found; asl-validator not installed (statelint still runs)" >&2; fi

statelint: venv tools
	$(VENV)/bin/statelint $(ASL_FILES)
	@if [ -x $(ASL_VALIDATOR) ]; then for f in $(ASL_FILES); do $(ASL_VALIDATOR) --json-path $$f; done; fi

execute: venv
	@if [ -z "$(STATE_MACHINE)" ] || [ -z "$(INPUT)" ]; then \
		echo "usage: make execute STATE_MACHINE=<name> INPUT='<json>' [EXECUTE_ARGS=--start-db]" >&2; \
		exit 2; fi
	$(PY) -m infra.statemachines.run '$(STATE_MACHINE)' '$(INPUT)' $(EXECUTE_ARGS)

# pytest exits 5 when it collected no tests: make fails on any non-zero exit, and says why.
test: venv tools
	@rc=0; $(PY) -m pytest -n 2 $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; fi; \
	exit $$rc

audit: venv
	$(PY) -m infra.audit

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Figures are reported, never enforced: the exit status is non-zero only if a section crashed.
# BENCH_ARGS: --quick (about 1 min on 2 CPUs; the full run about 3), --out FILE, --markdown FILE,
# --sections round_trips,capacity,overhead,cold_start,cpu,scale,contention,local_server. See docs/benchmarks.md.
bench: venv
	$(PY) -m infra.bench $(BENCH_ARGS)

clean:
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .local/dynamodb

distclean: clean
	rm -rf $(VENV) .local
