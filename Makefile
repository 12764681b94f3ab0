# Local development. Everything runs from the repository root with the project venv (.venv/).
#   make venv    create .venv with Python 3.13 and install the development tools from requirements/dev.txt
#   make run     serve the API on http://127.0.0.1:3000 (PORT=...) on DynamoDB Local (127.0.0.1:8000)
#                (installs only what serving needs, requirements/serve.txt, when .venv has nothing yet)
#   make lock    re-compile the hashed locks from pyproject.toml and functions/*/requirements.in (uv;
#                LOCK_ARGS=--upgrade to take newer releases)
#   make deploy  ENV=dev|prod: build, then sam deploy with samconfig.toml's ENV settings (docs/deploy.md)
#                [DEPLOY_ARGS=...: more sam deploy options, e.g. --profile NAME --region REGION]
#   make deploy-guided  ENV=dev|prod: the same, asking for each setting (saves the answers to samconfig.toml)
#   make delete  ENV=dev|prod: sam delete the ENV stack (a prod table is kept: docs/deploy.md "Tearing down")
#   make invoke  FUNCTION=<logical id or folder> EVENT=events/<file>.json [INVOKE_ARGS=--start-db]
#                (INVOKE_ARGS=--built: the packaged build of this machine's architecture, under Lambda's RIE)
#   make test    pytest on 2 workers (PYTEST_ARGS=... to add options; "no tests" is a failure)
#   make test-fast  the quick loop while editing: pytest -m "not slow" in one process, no DynamoDB Local (< 1 min)
#   make tools   install asl-validator and Spectral (npm) into .local/ (statelint comes with the venv)
#   make statelint  validate infra/statemachines/*.asl.json with statelint and asl-validator
#   make execute STATE_MACHINE=ApplyAccountCredits INPUT='{"billingAccountId":"..."}' [EXECUTE_ARGS=--start-db]
#   make replay  republish every domain event not yet delivered (REPLAY_ARGS='--stack-name STACK --dry-run')
#   make resummarize  repair account summaries (RESUMMARIZE_ARGS='--stack-name STACK --from-queue' or 'ACCOUNT...')
#   make quarantine  list, show, release or discard quarantined events (QUARANTINE_ARGS='list --stack-name STACK')
#   make check-invariants  check the documents changed since the last check (CHECK_ARGS='--stack-name STACK')
#   make export-journal  a period's journal as CSV files per currency + SHA256SUMS (EXPORT_JOURNAL_ARGS='2026-11 --out DIR --stack-name STACK')
#   make migrate  convert a table's items to the current form (MIGRATE_ARGS='--stack-name STACK --dry-run')
#   make verify-archive  prove the change archive complete and in order (VERIFY_ARCHIVE_ARGS='--stack-name STACK')
#                (each needs --stack-name or --table; docs/operations.md "Operator commands")
#   make build   sam build (pinned SAM CLI in .local/sam-venv) for the template's architecture into .aws-sam/build
#                [ARCH=x86_64|arm64: another architecture, into .aws-sam/build-<arch>; ARCH=host: this machine's]
#   make lint    ruff check, ruff format --check, mypy, cfn-lint with the serverless rules (cfn-lint-serverless),
#                checkov on template.yaml (.checkov.yaml: the checks that do not apply, each with its reason),
#                Spectral's OpenAPI ruleset on openapi.json (.spectral.yaml)
#   make audit   pip-audit of the runtime dependencies (fails on a known vulnerability)
#   make bench   benchmarks on a fresh in-memory DynamoDB Local: table + .local/bench.json (BENCH_ARGS=--quick)
#   make clean   remove caches and local DynamoDB data (keeps .venv and the DynamoDB Local download)
#   make distclean  also remove .venv and .local/

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# Hashed locks (make lock): the layer's runtime dependencies, serving locally, development.
LAYER_LOCK := shared/requirements.txt
SERVE_LOCK := requirements/serve.txt
DEV_LOCK := requirements/dev.txt
# The document function's own dependencies (functions/<name>/requirements.in), locked beside it.
DOCUMENT_DEPS := functions/render_credit_memo_document/requirements
STAMP := $(VENV)/.installed-stamp
SERVE_STAMP := $(VENV)/.serve-stamp
LOCK_ARGS ?=
UV_PIP_COMPILE = $(VENV)/bin/uv pip compile --universal --python-version 3.13 --generate-hashes \
	--quiet --custom-compile-command 'make lock' $(LOCK_ARGS)
UV_COMPILE = $(UV_PIP_COMPILE) pyproject.toml
ENV ?=
DEPLOY_ARGS ?=
PYTEST_ARGS ?=
INVOKE_ARGS ?=
BENCH_ARGS ?=
EXECUTE_ARGS ?=
REPLAY_ARGS ?=
RESUMMARIZE_ARGS ?=
QUARANTINE_ARGS ?= list
CHECK_ARGS ?=
MIGRATE_ARGS ?=
ASL_VALIDATOR_VERSION := 4.0.0
# Build tools, kept out of the dev venv: the SAM CLI (with Lambda's Runtime Interface Emulator
# inside) and the runtime client the emulated runtime runs (Lambda's managed runtime has its own).
SAM_CLI_VERSION := 1.170.0
AWSLAMBDARIC_VERSION := 4.2.2
SAM_VENV := .local/sam-venv
SAM := $(SAM_VENV)/bin/sam
# checkov pins its own boto3, botocore and packaging (older than the dev venv's): a venv of its own.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .local/checkov-venv
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)
LAMBDA_RUNTIME := .local/lambda-runtime
LAMBDA_RUNTIME_STAMP := $(LAMBDA_RUNTIME)/.installed-$(AWSLAMBDARIC_VERSION)
ARCH ?=
ASL_VALIDATOR := .local/asl-validator/node_modules/.bin/asl-validator
SPECTRAL_VERSION := 6.16.3
SPECTRAL := .local/spectral/node_modules/.bin/spectral
ASL_FILES := $(wildcard infra/statemachines/*.asl.json)

# Python 3.13 is required (pyproject: >=3.13,<3.14; Lambda runtime python3.13). First that works of:
# PYTHON313=... given on the command line, python3.13, python3, pyenv's versions/3.13.*/bin/python3.13.
ifndef PYTHON313
PYTHON313 := $(shell for p in python3.13 python3 $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.13*/bin/python3.13 2>/dev/null | sort -V -r); do \
	if $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1; \
	then command -v $$p; break; fi; done)
endif
NO_PYTHON313 := error: Python 3.13 is required and none was found (tried python3.13, python3 and \
	$${PYENV_ROOT:-~/.pyenv}/versions/3.13*). Install it (pyenv install 3.13, or your distribution's \
	python3.13 package) or name it: make PYTHON313=/path/to/python3.13 ...

.PHONY: help venv serve-venv lock deploy deploy-guided delete check-env run invoke replay resummarize quarantine check-invariants export-journal migrate verify-archive test test-fast lint audit bench clean distclean tools statelint execute build build-tools

help:
	@sed -n 's/^#   //p' Makefile

venv: $(STAMP)

# The serving install: the runtime dependencies, PyYAML and Swagger UI's files, nothing of the
# development toolchain.
serve-venv: $(SERVE_STAMP)

# Exactly the locked versions (hash-checked), then the project itself, editable, without resolving again.
# $(1): the lock file.
define venv_install
	@if [ -z "$(PYTHON313)" ]; then echo "$(NO_PYTHON313)" >&2; exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then \
		echo "error: $(VENV) is not Python 3.13; remove it (make distclean) and re-run" >&2; exit 1; fi
	@if [ ! -x $(PY) ]; then $(PYTHON313) -m venv $(VENV); fi
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r $(1)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
endef

# The development install holds the serving one (the same pins), so it satisfies `make run` too.
$(STAMP): pyproject.toml $(DEV_LOCK)
	$(call venv_install,$(DEV_LOCK))
	@touch $(STAMP) $(SERVE_STAMP)

$(SERVE_STAMP): pyproject.toml $(SERVE_LOCK)
	$(call venv_install,$(SERVE_LOCK))
	@touch $(SERVE_STAMP)

# The development lock is resolved first: the layer and serving locks take its versions (-c), so the
# tests run the very libraries the layer ships.
lock: venv
	@mkdir -p $(dir $(DEV_LOCK))
	$(UV_COMPILE) $(DOCUMENT_DEPS).in --extra dev -o $(DEV_LOCK)
	$(UV_PIP_COMPILE) $(DOCUMENT_DEPS).in -c $(DEV_LOCK) -o $(DOCUMENT_DEPS).txt
	$(UV_COMPILE) -c $(DEV_LOCK) -o $(LAYER_LOCK)
	$(UV_COMPILE) --extra serve -c $(DEV_LOCK) -o $(SERVE_LOCK)

run: serve-venv
	$(PY) -m infra.local.server

invoke: venv
	@if [ -z "$(FUNCTION)" ] || [ -z "$(EVENT)" ]; then \
		echo "usage: make invoke FUNCTION=<logical id or folder> EVENT=<event.json> [INVOKE_ARGS=--start-db]" >&2; \
		exit 2; fi
	$(PY) -m infra.local.invoke '$(FUNCTION)' '$(EVENT)' $(INVOKE_ARGS)

replay: venv
	$(PY) -m infra.replay $(REPLAY_ARGS)

resummarize: venv
	$(PY) -m infra.resummarize $(RESUMMARIZE_ARGS)

quarantine: venv
	$(PY) -m infra.outbox_quarantine $(QUARANTINE_ARGS)

check-invariants: venv
	$(PY) -m infra.check_invariants $(CHECK_ARGS)

verify-archive: venv
	$(PY) -m infra.archive verify $(VERIFY_ARCHIVE_ARGS)

export-journal: venv
	$(PY) -m infra.export_journal $(EXPORT_JOURNAL_ARGS)

migrate: venv
	$(PY) -m infra.migrate convert $(MIGRATE_ARGS)

build-tools: $(SAM_STAMP) $(LAMBDA_RUNTIME_STAMP)

$(SAM_STAMP):
	@if [ -z "$(PYTHON313)" ]; then echo "$(NO_PYTHON313)" >&2; exit 1; fi
	rm -rf $(SAM_VENV)
	$(PYTHON313) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_CLI_VERSION)
	@touch $@

$(LAMBDA_RUNTIME_STAMP): $(SAM_STAMP)
	rm -rf $(LAMBDA_RUNTIME)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-warn-conflicts \
		--only-binary=:all: --target $(LAMBDA_RUNTIME) awslambdaric==$(AWSLAMBDARIC_VERSION)
	@touch $@

# ARCH empty: the template's architecture (the deployed artifact); ARCH=host: this machine's.
build: venv build-tools
	$(PY) -m infra.build $(if $(filter host,$(ARCH)),--host,$(if $(ARCH),--architecture $(ARCH)))

check-env:
	@if [ "$(ENV)" != dev ] && [ "$(ENV)" != prod ]; then \
		echo "usage: make $(MAKECMDGOALS) ENV=dev|prod [DEPLOY_ARGS=...] (samconfig.toml; docs/deploy.md)" >&2; \
		exit 2; fi

# The template's architecture into .aws-sam/build, which sam deploy picks up; deploy always builds
# first, so what is deployed is what this checkout holds.
deploy: check-env
	$(MAKE) build ARCH=
	SAM_CLI_TELEMETRY=0 $(SAM) deploy --config-env $(ENV) $(DEPLOY_ARGS)

deploy-guided: check-env
	$(MAKE) build ARCH=
	SAM_CLI_TELEMETRY=0 $(SAM) deploy --config-env $(ENV) --guided $(DEPLOY_ARGS)

delete: check-env build-tools
	SAM_CLI_TELEMETRY=0 $(SAM) delete --config-env $(ENV) $(DEPLOY_ARGS)

# asl-validator and Spectral come from the npm registry; without npm the state machines are still
# checked by statelint (a Python dev dependency), the asl-validator tests skip, and lint says so.
tools: $(ASL_VALIDATOR) $(SPECTRAL)

$(ASL_VALIDATOR):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix .local/asl-validator --no-audit --no-fund --silent \
			asl-validator@$(ASL_VALIDATOR_VERSION); \
	else echo "warning: npm not found; asl-validator not installed (statelint still runs)" >&2; fi

$(SPECTRAL):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix .local/spectral --no-audit --no-fund --silent \
			@stoplight/spectral-cli@$(SPECTRAL_VERSION); \
	else echo "warning: npm not found; Spectral not installed (make lint cannot lint openapi.json)" >&2; fi

statelint: venv tools
	$(VENV)/bin/statelint $(ASL_FILES)
	@if [ -x $(ASL_VALIDATOR) ]; then for f in $(ASL_FILES); do $(ASL_VALIDATOR) --json-path $$f; done; fi

execute: venv
	@if [ -z "$(STATE_MACHINE)" ] || [ -z "$(INPUT)" ]; then \
		echo "usage: make execute STATE_MACHINE=<name> INPUT='<json>' [EXECUTE_ARGS=--start-db]" >&2; \
		exit 2; fi
	$(PY) -m infra.statemachines.run '$(STATE_MACHINE)' '$(INPUT)' $(EXECUTE_ARGS)

# pytest exits 5 when it collected no tests: make fails on any non-zero exit, and says why.
define pytest_run
	@rc=0; $(PY) -m pytest $(1) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; fi; \
	exit $$rc
endef

test: venv tools
	$(call pytest_run,-n 2)

# What is slow is marked in tests/conftest.py (by directory) and by @pytest.mark.slow.
# One process: the fast tier takes ~9 s of CPU, and two workers would each import and collect it all.
test-fast: venv
	$(call pytest_run,-n 0 -m "not slow")

audit: venv
	$(PY) -m infra.audit

lint: venv $(CHECKOV_STAMP) $(SPECTRAL)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f template.yaml
	@if [ -x $(SPECTRAL) ]; then $(SPECTRAL) lint openapi.json --ruleset .spectral.yaml --fail-severity warn; \
	else echo "error: Spectral is not installed (make tools needs npm)" >&2; exit 1; fi

$(CHECKOV_STAMP):
	@if [ -z "$(PYTHON313)" ]; then echo "$(NO_PYTHON313)" >&2; exit 1; fi
	rm -rf $(CHECKOV_VENV)
	$(PYTHON313) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	@touch $@

# Figures are reported, never enforced: the exit status is non-zero only if a section crashed.
# BENCH_ARGS: --quick (about 1 min on 2 CPUs; the full run about 3), --out FILE, --markdown FILE,
# --sections round_trips,capacity,overhead,cold_start,cpu,scale,contention,numbering,summary,local_server,documents.
# See docs/benchmarks.md.
bench: venv
	$(PY) -m infra.bench $(BENCH_ARGS)

clean:
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .local/dynamodb .local/packaged-* .aws-sam

distclean: clean
	rm -rf $(VENV) .local
