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

.PHONY: help venv run test lint

help:
	@echo "make run    serve the app at http://$(HOST):$(PORT) on a SQLite file under var/"
	@echo "make test   install what is needed and run the whole suite"
	@echo "make lint   ruff, mypy and the other linters"

$(BOOTSTRAP)/bin/uv:
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

venv: $(SYNCED)

run: venv
	@mkdir -p var
	$(BIN)/alembic upgrade head
	@echo "Serving the app at http://$(HOST):$(PORT)"
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT)

test: venv
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
