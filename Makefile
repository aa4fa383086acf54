# The verbs a person types. `make up` runs the appliance locally; `make test` installs what it needs
# on a fresh machine and runs every suite. Downloads and builds are cached outside the repository in
# $(ENCLAVE_CACHE), keyed by version, so only the first run on a machine is slow.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ENCLAVE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/enclave
export ENCLAVE_CACHE
UV_VERSION := 0.13.8
UV := $(ENCLAVE_CACHE)/tools/uv-$(UV_VERSION)/bin/uv
# One virtual environment per lock file: a new lock gets a new environment, an old one is reused.
VENV := $(ENCLAVE_CACHE)/venv/$(shell sha256sum uv.lock | cut -c1-16)
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
PYTEST_ARGS ?=
# e.g. BENCH_ARGS=--quick (a smoke run) or BENCH_ARGS=storage (one benchmark)
BENCH_ARGS ?=
# make security's schemathesis budget over every role (about 93% of it runs: at least 10,000 cases).
FUZZ_CASES ?= 12500

.PHONY: help up down status test test-unit test-integration bench check security bundle deps python-deps system-deps stack-install webapp kube-tools

help: ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

up: deps ## the whole appliance locally over TLS (Ctrl-C or `make down` stops it)
	webapp=$$(scripts/webapp); ENCLAVE_API_WEBAPP_DIR="$$webapp" scripts/up "$(PY)"

down: ## stop everything `make up` started
	scripts/stack down

status: ## one line per component
	scripts/stack status

# The suites run against a stack of their own (scripts/test-stack.env), reset and started empty on
# every run: never `make up`'s data, and the same starting point on every machine.
TEST_STACK := source scripts/test-stack.env && scripts/stack reset --yes && scripts/stack up

test: deps check ## install what is needed, run `make check`, then every suite against real services started empty
	$(TEST_STACK) && webapp=$$(scripts/webapp) && \
		ENCLAVE_API_WEBAPP_DIR="$$webapp" $(PY) -m pytest tests $(PYTEST_ARGS)

webapp: ## build the web app (cached by its sources and lock) and print where it is
	scripts/webapp

test-unit: python-deps ## the unit suite only (no services)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

bench: deps ## benchmarks on the real services: a table, and bench/results/latest.json
	scripts/system-deps bench
	scripts/stack up
	webapp=$$(scripts/webapp); ENCLAVE_API_WEBAPP_DIR="$$webapp" $(PY) -m bench $(BENCH_ARGS)

check: python-deps ## linters, types, layer contracts, security scanners, known-vulnerable pins, committed secrets
	$(UV) run --frozen ruff check services tests bench scripts/authz-matrix scripts/lib/bundle_manifest.py
	$(UV) run --frozen ruff format --check services tests bench scripts/authz-matrix scripts/lib/bundle_manifest.py
	$(UV) run --frozen mypy
	$(UV) run --frozen mypy --strict scripts/lib/bundle_manifest.py
	$(UV) run --frozen lint-imports --no-cache
	$(UV) run --frozen pytest -q -p no:cacheprovider tests/unit/db/test_migrations_frozen.py \
		tests/unit/test_sql_lives_in_repositories.py tests/unit/test_services_return_schemas.py
	$(UV) run --frozen bandit -q -r services
	shellcheck -x scripts/stack scripts/test-stack.env scripts/up scripts/system-deps scripts/webapp scripts/kube-tools scripts/supply-chain scripts/bundle scripts/lib/*.sh
	scripts/supply-chain secrets
	scripts/supply-chain python
	scripts/supply-chain npm

security: deps ## the security evidence: TLS scan, no egress, sessions, hostile input, every role fuzzed (10,000+ cases), faults under load, tampering; ends with its figures
	$(TEST_STACK) && webapp=$$(scripts/webapp) && evidence=$$(mktemp) && \
	ENCLAVE_FUZZ_CASES=$(FUZZ_CASES) ENCLAVE_EVIDENCE_FILE="$$evidence" ENCLAVE_API_WEBAPP_DIR="$$webapp" \
		$(PY) -m pytest tests/security tests/faults tests/e2e tests/integration/domain/test_authorization_matrix.py $(PYTEST_ARGS); \
	$(PY) -c 'import json, sys; n = json.load(open(sys.argv[1])).get("fuzz cases run", 0); \
		sys.exit(0 if n >= 10000 else f"make security: only {n} fuzz cases ran (10,000 needed)")' "$$evidence"

bundle: python-deps ## the signed offline bundle: the chart, the image list and the images where buildable, SBOMs
	scripts/bundle

deps: system-deps python-deps stack-install kube-tools

system-deps: ## Debian packages the stack and the tools need
	scripts/system-deps

$(UV):
	@echo "installing uv $(UV_VERSION) into the cache"
	python3.11 -m pip install --quiet --disable-pip-version-check --target "$(ENCLAVE_CACHE)/tools/uv-$(UV_VERSION)" "uv==$(UV_VERSION)"

python-deps: $(UV) ## the locked Python environment
	$(UV) sync --frozen --python python3.11 --quiet

stack-install: ## build and fetch the real services (cached by version)
	scripts/stack install

kube-tools: ## build the Kubernetes test tools: kube-apiserver, kubectl, etcd, helm, kubeconform (cached by version)
	scripts/kube-tools >/dev/null
