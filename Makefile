# Aurion Analytics. `make run` serves the API locally; `make test` runs the suite. Both set everything up.
# `make stop` stops what they (and make seed / migrate) left running in this checkout.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAM_VENV := .sam-venv
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .checkov-venv
ENV ?= staging
export PYTHONPATH := $(CURDIR)/layers/shared/python:$(CURDIR)
export PORT ?= 3000
# make test runs the suite on this many pytest-xdist workers (each with its own database); 0 runs it serially.
# Whole files per worker (loadfile): a module's costly fixtures (a seeded stack, the fuzzer's tenant) run once.
TEST_WORKERS ?= auto
export SAM_CLI_TELEMETRY := 0

# make token ROLE=… TENANT=… [USER=<uuid>]: USER is also the login name in the environment, so only a
# USER given on the command line counts.
USER_ARG = $(if $(filter command line,$(origin USER)),--user $(USER))

.PHONY: help install run stop test fuzz token seed ingest import migrate openapi bench lint typecheck fmt template-lint template-scan sam-build deploy ci clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

$(STAMP): pyproject.toml layers/deps/requirements.txt
	$(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r layers/deps/requirements.txt --group dev
	touch $@

install: $(STAMP) ## create .venv with runtime and dev dependencies

run: install ## serve the API on http://127.0.0.1:$(PORT) with demo data (embedded PostgreSQL + moto unless configured)
	$(PY) -m local.stack run

stop: install ## stop this checkout's make run and every embedded PostgreSQL left running (make test, seed, migrate)
	$(PY) -m local.stack stop

# The template tests transform template.yaml with the SAM CLI's translator, in its venv (tests/support/sam_template.py).
test: install $(SAM_VENV)/.installed ## run the test suite on TEST_WORKERS workers (DATABASE_URL if set, else an embedded PostgreSQL)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

fuzz: install ## fuzz every operation of docs/openapi.json (FUZZ_MAX_EXAMPLES, 200 each) and redaction (PII_EXAMPLES, 2000)
	FUZZ_MAX_EXAMPLES=$(or $(FUZZ_MAX_EXAMPLES),200) $(PY) -m pytest -q tests/e2e/test_fuzz_openapi.py $(PYTEST_ARGS)
	PII_EXAMPLES=$(or $(PII_EXAMPLES),2000) $(PY) -m pytest -q tests/unit/test_redaction_properties.py \
		tests/integration/test_redaction_outputs.py tests/integration/test_gateway_access_log.py $(PYTEST_ARGS)

token: install ## print a session token: make token ROLE=tenant_admin TENANT=acme [USER=<uuid>]
	@$(PY) -m local.token --role "$(ROLE)" --tenant "$(TENANT)" $(USER_ARG)

seed: install ## make seed TENANT=<slug> CONVERSATIONS=<n> CALLS=<n> DAYS=<d> SEED=<int> PLAN=<plan> PRODUCTS=<a,b> TIME_ZONE=<zone> [VIA=auto|bucket|loader|generator]
	$(PY) -m local.seed --database-url "$$($(PY) -m local.stack admin-url)" --tenant "$(TENANT)" \
		--conversations "$(or $(CONVERSATIONS),10000)" --calls "$(or $(CALLS),0)" \
		--days "$(or $(DAYS),90)" --seed "$(or $(SEED),1)" --plan "$(or $(PLAN),professional)" \
		$(if $(PRODUCTS),--products "$(PRODUCTS)") $(if $(TIME_ZONE),--time-zone "$(TIME_ZONE)") --replace \
		--via "$(or $(VIA),auto)"

ingest: install ## publish events (NDJSON) to make run's ingest bus: make ingest FILE=<path> TENANT=<slug|id>
	$(PY) -m local.ingest_loop send --file "$(FILE)" --tenant "$(TENANT)"

import: install ## upload a history file (NDJSON or CSV, gzip allowed) to make run's import bucket: make import FILE=<path> TENANT=<slug|id>
	$(PY) -m local.import_loop send --file "$(FILE)" --tenant "$(TENANT)"

migrate: install ## apply migrations: make migrate DATABASE_URL=postgresql://owner@host/db
	$(PY) -m aurion.migrate --database-url "$$($(PY) -m local.stack admin-url)"

openapi: install ## regenerate docs/openapi.json from the route definitions
	$(PY) -m local.openapi

bench: install ## benchmark every endpoint on a 1,000,000-conversation tenant (SCALE=10m: on 10,000,000 beside it; TENANTS=10000: the aggregator's fan-out); writes docs/benchmarks.md
	$(PY) -m local.bench $(if $(SCALE),--scale $(SCALE)) $(if $(TENANTS),--tenants $(TENANTS)) $(BENCH_ARGS)

lint: install ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/shared/python/aurion functions

fmt: install ## format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

$(SAM_VENV)/.installed:
	$(PYTHON_BOOTSTRAP) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	# Its own venv: the SAM CLI (and its translator, which the template tests run) pins boto3 and pydantic
	# versions that clash with ours.
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	touch $@

template-lint: $(SAM_VENV)/.installed ## sam validate --lint
	$(SAM) validate --lint --template-file template.yaml

sam-build: $(SAM_VENV)/.installed ## sam build (no container) into .aws-sam/
	$(SAM) build --template-file template.yaml

$(CHECKOV_VENV)/.installed:
	$(PYTHON_BOOTSTRAP) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	# Its own venv too: checkov pins boto3, pydantic and others of its own.
	$(CHECKOV_VENV)/bin/pip install --quiet "checkov>=3.2,<4"
	touch $@

# --skip-download: no call to Prisma Cloud for guidelines (CI has no need, and may have no internet).
template-scan: $(CHECKOV_VENV)/.installed ## checkov on template.yaml: every finding fixed or justified in the template
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download

deploy: sam-build ## build and deploy an environment of samconfig.toml: make deploy ENV=staging (or prod)
	$(SAM) deploy --config-env $(ENV)

ci: lint test template-lint template-scan ## what .ci/run runs

clean: ## remove build output (keeps .local data)
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
