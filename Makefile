# Two commands on a fresh Debian machine (root, Python 3.11):
#   make run    install everything, build the demo warehouse, serve the app on :8050
#   make test   install what the tests need (Debian chromium, redis, wrk, npm tools), run every test
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 0.0.0.0
PORT ?= 8050
WORKERS ?= 2
SCALE ?= 1
APT_TEST_PKGS := chromium chromium-driver redis-server wrk gdal-bin
export PONMETRO_WAREHOUSE ?= $(CURDIR)/data/warehouse.duckdb

.PHONY: run install demo-warehouse serve test test-deps lint bench bench-smoke reliability-full clean

run: install demo-warehouse serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

demo-warehouse: install
	$(BIN)/ponmetro build --demo --scale $(SCALE) --warehouse $(PONMETRO_WAREHOUSE)

serve:
	$(BIN)/gunicorn dashboards.app:server --config gunicorn.conf.py --bind $(HOST):$(PORT) --workers $(WORKERS)

test-deps: $(BIN)/python
	@missing=""; for p in $(APT_TEST_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	npm install --no-audit --no-fund --silent
	$(BIN)/pip install -q -e ".[test]"

lint: test-deps
	$(BIN)/ruff check .

test: test-deps
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

bench: test-deps
	$(BIN)/python -m bench --scale $(SCALE)

bench-smoke: test-deps
	$(BIN)/python -m bench --smoke

reliability-full: test-deps
	PONMETRO_CAMPAIGN=full PONMETRO_SOAK_REPORT=soak.json $(BIN)/pytest tests/reliability -n 2 --dist loadfile

clean:
	rm -rf $(VENV) node_modules data/*.duckdb data/.*.building-*
