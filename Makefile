# Two commands on a fresh Debian machine (root, Python 3.11):
#   make run    install everything, build the demo warehouse, serve the app on :8050
#   make test   install what the tests need (Debian chromium, redis, nginx, wrk, npm tools), run every test
# Python packages install from the hash locks (requirements.lock, requirements-test.lock);
# npm tools from package-lock.json. After changing dependencies in pyproject.toml: make lock.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .venv-tools
HOST ?= 0.0.0.0
PORT ?= 8050
WORKERS ?= 2
SCALE ?= 1
RUN_LOCK := requirements.lock
TEST_LOCK := requirements-test.lock
UV_VERSION := 0.13.9
PIP_AUDIT_VERSION := 2.10.1
APT_PROD_PKGS := nginx redis-server
APT_TEST_PKGS := chromium chromium-driver wrk gdal-bin $(APT_PROD_PKGS)
# Debian packages, without starting their system services (nginx would take port 80;
# serve-prod and the tests run their own): policy-rc.d denies starts during the install.
apt_install = apt-get update -qq && ( made=""; [ -e /usr/sbin/policy-rc.d ] || { \
	printf '\#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made=1; }; \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); rc=$$?; \
	[ -z "$$made" ] || rm -f /usr/sbin/policy-rc.d; exit $$rc )
export PONMETRO_WAREHOUSE ?= $(CURDIR)/data/warehouse.duckdb

.PHONY: run install demo-warehouse serve serve-prod prod-deps test test-deps lock lock-check audit lint bench bench-smoke reliability-full plotly-bundle clean

run: install demo-warehouse serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python lock-check
	$(BIN)/pip install -q --require-hashes -r $(RUN_LOCK)
	$(BIN)/pip install -q --no-deps -e .

demo-warehouse: install
	$(BIN)/ponmetro build --demo --scale $(SCALE) --warehouse $(PONMETRO_WAREHOUSE)

serve:
	$(BIN)/gunicorn dashboards.app:server --config gunicorn.conf.py --bind $(HOST):$(PORT) --workers $(WORKERS)

serve-prod: install prod-deps
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m deploy.serve

prod-deps:
	@missing=""; for p in $(APT_PROD_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "apt-get install:$$missing"; $(call apt_install,$$missing); fi

test-deps: $(BIN)/python lock-check
	@missing=""; for p in $(APT_TEST_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then echo "apt-get install:$$missing"; $(call apt_install,$$missing); fi
	npm ci --no-audit --no-fund --silent
	$(BIN)/pip install -q --require-hashes -r $(TEST_LOCK)
	$(BIN)/pip install -q --no-deps -e .

# Is each lock resolved from the requirement lists now in pyproject.toml? Offline, stdlib only.
lock-check:
	$(PYTHON) tools/lockfile.py check

# Tools that act on the locks, kept out of the project's venv so they never mix with its pins.
$(TOOLS)/bin/python:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q uv==$(UV_VERSION) pip-audit==$(PIP_AUDIT_VERSION)

# Re-resolve pyproject.toml into the hash locks (and bench/peer/requirements.in, the benchmark's
# Datasette peer, into its own), keeping every pin that still fits; run after
# merging dependency changes, then commit both locks. `make lock UPGRADE=1` moves to the newest.
lock: $(TOOLS)/bin/python
	$(TOOLS)/bin/uv pip compile pyproject.toml -q --generate-hashes --python-version 3.11 \
	  --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o $(RUN_LOCK)
	$(TOOLS)/bin/uv pip compile pyproject.toml -q --generate-hashes --python-version 3.11 \
	  --extra test --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) \
	  -c $(RUN_LOCK) -o $(TEST_LOCK)
	$(TOOLS)/bin/uv pip compile bench/peer/requirements.in -q --generate-hashes --python-version 3.11 \
	  --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade) -o bench/peer/requirements.lock
	$(PYTHON) tools/lockfile.py stamp

# Known vulnerabilities in the test lock (a superset of the run lock). Needs PyPI's
# per-release JSON API (or OSV: AUDIT_SERVICE=osv); --strict fails if a package went unaudited.
audit: $(TOOLS)/bin/python
	$(TOOLS)/bin/pip-audit --strict --disable-pip --require-hashes -r $(TEST_LOCK) \
	  --vulnerability-service $(or $(AUDIT_SERVICE),pypi)

lint: test-deps
	$(BIN)/ruff check .

test: test-deps
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

bench: test-deps
	$(BIN)/python -m bench --scale $(SCALE) $(if $(ETL_SCALES),--etl-scales $(ETL_SCALES))

bench-smoke: test-deps
	$(BIN)/python -m bench --smoke

reliability-full: test-deps
	PONMETRO_CAMPAIGN=full PONMETRO_SOAK_REPORT=soak.json $(BIN)/pytest tests/reliability tests/deploy -n 2 --dist loadfile

# Rebuild dashboards/vendor/plotly-custom.min.js (plotly.js with the app's trace types only)
# from package.json's plotly.js; commit the result (docs/performance.md "Updating plotly.js").
plotly-bundle:
	npm ci --no-audit --no-fund --silent
	node tools/plotly-bundle.mjs

clean:
	rm -rf $(VENV) $(TOOLS) node_modules data/*.duckdb data/.*.building-* data/*.live
