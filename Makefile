# The two commands: `make run` (a working portal with the reference data and demo
# accounts on http://127.0.0.1:8000) and `make test` (the whole test suite).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Tests run with DEBUG off, as in production; they need a key of their own.
TEST_ENV := DEBUG=False SECRET_KEY=test-only-secret-key-not-for-production

.PHONY: run serve test lint install install-test messages bench loadtest soak

# runserver serves each request in a thread of its own; glibc gives threads up to 8 malloc
# arenas a core, each keeping what it freed. Two arenas keep its memory flat
# (bench/README.md, bounded_work.py).
MALLOC_ARENA_MAX ?= 2
run: install
	./.ci/system-packages.sh run
	DEBUG=True $(PY) manage.py migrate --noinput
	DEBUG=True $(PY) manage.py load_reference_data
	DEBUG=True $(PY) manage.py create_demo_accounts
	@echo "Serving the portal on http://$(HOST):$(PORT)/ with a report worker (Ctrl+C stops both)"
	DEBUG=True MALLOC_ARENA_MAX=$(MALLOC_ARENA_MAX) $(PY) manage.py report_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	DEBUG=True MALLOC_ARENA_MAX=$(MALLOC_ARENA_MAX) $(PY) manage.py runserver --noreload $(HOST):$(PORT)

# Production: gunicorn (portal/gunicorn.conf.py: WEB_CONCURRENCY workers on HOST:PORT,
# access log to stdout) and the report worker side by side; Ctrl+C stops both. DEBUG off,
# SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL come from the environment (README).
serve: $(VENV)/.installed
	$(if $(filter True true 1 yes on,$(DEBUG)),$(error make serve runs with DEBUG off))
	$(foreach name,SECRET_KEY ALLOWED_HOSTS DATABASE_URL,$(if $($(name)),,\
		$(error make serve needs $(name) in the environment (README, Production serving))))
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py migrate --noinput
	@echo "Serving the portal on http://$(HOST):$(PORT)/ with a report worker (Ctrl+C stops both)"
	$(PY) manage.py report_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/gunicorn --config portal/gunicorn.conf.py

# The tests run in one process per core (pytest-xdist), each with its own test database.
TEST_WORKERS ?= auto
test: install-test
	./.ci/system-packages.sh test
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS)

lint: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

# Comparison page against the admin changelist, 1,000 synthetic mappings each, in a
# throwaway database (see bench/README.md). ROUNDS=n for more or fewer timed rounds.
# DEBUG off serves the hashed static files of collectstatic's manifest, as in production.
ROUNDS ?= 7
bench: install-test
	DEBUG=False SECRET_KEY=bench-only $(PY) manage.py collectstatic --noinput --verbosity 0
	DEBUG=False SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=portal.settings \
		$(PY) bench/compare_vs_admin.py --rounds $(ROUNDS)
	DEBUG=False SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=portal.settings \
		$(PY) bench/report_vs_chromium.py --rounds 3
	DEBUG=False SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=portal.settings \
		$(PY) bench/font_subsetting.py
	DEBUG=False SECRET_KEY=bench-only DJANGO_SETTINGS_MODULE=portal.settings \
		$(PY) bench/prerender.py

# Load and soak tests over HTTP on 127.0.0.1 only (bench/README.md): gunicorn with
# portal/gunicorn.conf.py (WEB_CONCURRENCY from the environment) and the report worker on
# a free port, against the PostgreSQL database portal_load (built once, then reused:
# 20,000 synthetic mappings). Figures in var/loadtest-results.* and var/soak-results.*.
LOAD_USERS ?= 20
LOAD_SECONDS ?= 120
SOAK_SECONDS ?= 600
loadtest: $(VENV)/.installed
	./.ci/system-packages.sh run
	$(PY) bench/loadtest.py load --users $(LOAD_USERS) --seconds $(LOAD_SECONDS) $(LOAD_ARGS)

soak: $(VENV)/.installed
	./.ci/system-packages.sh run
	$(PY) bench/loadtest.py soak --users $(LOAD_USERS) --seconds $(SOAK_SECONDS) $(LOAD_ARGS)

install: $(VENV)/.installed .env

# A local, uncommitted environment file with a random secret key for management commands.
.env:
	@$(PYTHON) -c 'import secrets; print("# Local development settings (not committed).\nSECRET_KEY=" + secrets.token_urlsafe(50))' > $@

install-test: $(VENV)/.test-installed

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "Python 3.11 or newer is needed (set PYTHON=python3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed tests/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

# Re-extract UI strings into the catalogs and compile them (commit both .po and .mo).
messages: install
	DEBUG=True $(PY) manage.py makemessages --no-obsolete --ignore=.venv --ignore=tests --ignore=bench --ignore=staticfiles -l ru -l kk -l zh_Hans
	DEBUG=True $(PY) manage.py compilemessages --ignore=.venv
