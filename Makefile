# rumorcases — the two commands a newcomer needs:
#
#   make run    install what is missing, migrate, load the demo data, serve on 127.0.0.1:8000
#   make test   install what is missing, check migrations and lint, run the test suite
#
# Both work on a fresh Debian 12 machine as root. Settings come from the
# environment (docs/configuration.md): with nothing set you get SQLite under
# var/ and Celery tasks run eagerly; set DATABASE_URL to use PostgreSQL.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV        := .venv
PYTHON      := $(VENV)/bin/python
MANAGE      := $(PYTHON) manage.py
PIP         := $(PYTHON) -m pip --disable-pip-version-check
RUNSERVER   ?= 127.0.0.1:8000
PYTEST_ARGS ?=

# Stamps record which requirements file the venv was last installed from;
# pip runs again only when that file changes (or the venv is new).
REQ_STAMP      := $(VENV)/.requirements.stamp
REQ_TEST_STAMP := $(VENV)/.requirements-test.stamp

.PHONY: help run test setup setup-test system-packages messages lint static bench bench-store bench-intake bench-matching \
	bench-pdf bench-public bench-faults clean

help:
	@echo "make run         set everything up, load demo data, serve on http://$(RUNSERVER)/"
	@echo "make test        set everything up, check migrations, lint, run pytest (PYTEST_ARGS=...)"
	@echo "make setup       system packages, .venv and runtime requirements"
	@echo "make lint        ruff check ."
	@echo "make static      bandit and pip-audit (docs/security-checks.md)"
	@echo "make bench       every benchmark beside its baseline, one table (docs/performance.md; BENCH_ARGS=...,"
	@echo "                 e.g. --only pdf,public or --quick); needs PostgreSQL on 127.0.0.1:5432"
	@echo "make bench-store     build (or check) the seeded store alone: 1,000,000 reports, 300,000 cases"
	@echo "make bench-intake    batch intake end to end beside a raw insert (INTAKE_ARGS=...)"
	@echo "make bench-matching  matching quality on the labelled pairs, then latency on the store (SCALE_ARGS=...)"
	@echo "make bench-pdf       a 2-page Chinese notice PDF, warm, beside bare WeasyPrint (PDF_ARGS=...)"
	@echo "make bench-public    wrk on a published notice page beside a constant page (PUBLIC_ARGS=...)"
	@echo "make bench-faults    intake at full rate while workers are killed: nothing lost (FAULTS_ARGS=...)"
	@echo "make clean       remove var/, .venv, node_modules and test artefacts"

# --- setup ------------------------------------------------------------------

system-packages:
	@.ci/install-system-packages

$(PYTHON): | system-packages
	"$$(.ci/find-python)" -m venv $(VENV)

$(REQ_STAMP): requirements.txt | $(PYTHON)
	$(PIP) install -q -r requirements.txt
	@touch $@

$(REQ_TEST_STAMP): requirements-test.txt $(REQ_STAMP)
	$(PIP) install -q -r requirements-test.txt
	@touch $@

# Front-end libraries (chart.js, htmx) from the npm registry, exactly as package-lock.json has
# them; settings.STATICFILES_DIRS serves them from node_modules/.
ASSETS_STAMP := node_modules/.package-lock.stamp

$(ASSETS_STAMP): package.json package-lock.json | system-packages
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

setup: system-packages $(REQ_STAMP) $(ASSETS_STAMP)

setup-test: setup $(REQ_TEST_STAMP)

# Compile translations when there are any (.mo files are build output).
messages: setup
	@if find rumorcases/locale -name '*.po' 2>/dev/null | grep -q .; then \
		$(MANAGE) compilemessages --ignore=$(VENV) --ignore=var; \
	fi

# --- the two commands -------------------------------------------------------

run: setup messages
	$(MANAGE) migrate --noinput
	$(MANAGE) demo
	$(MANAGE) collectstatic --noinput -v 0
	$(MANAGE) runserver $(RUNSERVER)

test: setup-test messages
	$(MANAGE) makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# --- other ------------------------------------------------------------------

lint: setup-test
	$(VENV)/bin/ruff check .

static: setup-test
	.ci/static-checks

# The benchmarks need PostgreSQL on 127.0.0.1:5432 (user postgres); none is part of `make test`.
# bench/README.md says what each measures, docs/performance.md what the figures mean.
bench: setup
	$(PYTHON) bench/suite.py $(BENCH_ARGS)

bench-store: setup
	$(PYTHON) bench/store.py $(STORE_ARGS)

bench-intake: setup
	$(PYTHON) bench/intake.py $(INTAKE_ARGS)

bench-matching: setup
	$(PYTHON) bench/matching_quality.py
	$(PYTHON) bench/matching_scale.py $(SCALE_ARGS)

bench-pdf: setup
	$(PYTHON) bench/pdf.py $(PDF_ARGS)

bench-public: setup
	$(PYTHON) bench/public_pages.py $(PUBLIC_ARGS)

# Needs PostgreSQL and Redis on 127.0.0.1.
bench-faults: setup
	$(PYTHON) bench/faults.py $(FAULTS_ARGS)

clean:
	rm -rf var $(VENV) node_modules test-artifacts .pytest_cache .ruff_cache
