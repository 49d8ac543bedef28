# ITB trial tracker. `make run` for the demo site, `make serve` to serve it the production way,
# `make test` for every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py

.PHONY: venv run serve totp test bench bench-load lint fmt clean

# The development settings (no secret key needed) for the demo site and the tests.
run totp test lint: export DJANGO_DEBUG = 1

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when a requirements file changes. The demo and the tests are development uses:
# they install requirements-dev.txt (which includes requirements.txt).
$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements-dev.txt
	touch $@

run: venv
	$(MANAGE) migrate
	$(MANAGE) seed_demo
	@echo "Two-step sign-in: after the password, enter the code that 'make totp' prints (run it in another terminal)."
	$(MANAGE) runserver 127.0.0.1:8000

# The app served the production way on this machine: DEBUG off, hashed and compressed static
# files (collectstatic), gunicorn with gunicorn.conf.py. Over plain http on 127.0.0.1, so no
# https redirect. Without DJANGO_SECRET_KEY a throwaway one is made for this run (sessions end
# when it stops); without DATABASE_URL the SQLite file db.sqlite3 is used, with the demo site,
# which DJANGO_ENV=production refuses (see README.md, Production).
SERVE_PORT ?= 8000
serve: export DJANGO_DEBUG = 0
serve: export DJANGO_ALLOWED_HOSTS ?= 127.0.0.1,localhost
serve: export DJANGO_SECURE_SSL_REDIRECT ?= 0
serve: export GUNICORN_BIND ?= 127.0.0.1:$(SERVE_PORT)
ifndef DJANGO_SECRET_KEY
serve: export DJANGO_SECRET_KEY := $(shell $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')
endif
serve: venv
	$(MANAGE) migrate --no-input
	@if [ -z "$$DATABASE_URL" ]; then $(MANAGE) seed_demo --force; fi
	$(MANAGE) collectstatic --no-input --verbosity 0
	@echo "Serving at http://localhost:$(SERVE_PORT)/ (gunicorn on $$GUNICORN_BIND, DEBUG off; Ctrl-C stops it)"
	$(BIN)/gunicorn --config gunicorn.conf.py

# The demo users' current sign-in codes (demo database only; see README.md).
totp: venv
	$(MANAGE) demo_totp

# Uses whatever DATABASE_URL is in the environment; SQLite (db.sqlite3) when unset. Each worker
# runs whole test files (--dist loadfile), so data a module builds once (tests/conftest.py,
# module_db) is built once, not once per worker; the files go out in the order of the collection
# (--no-loadscope-reorder), which starts the longest first (tests/conftest.py, LONGEST_FIRST).
test: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/python -m pytest -q -n auto --dist loadfile --no-loadscope-reorder

# A benchmark, not a test: PostgreSQL databases itb_bench_<N> (BENCH_SIZES=1000,10000 to limit,
# BENCH_KEEP=1 to reuse them), each page under gunicorn + wrk as a ratio to Django's own floor,
# the dashboard computed vs Django admin's changelist, the CSV export (bench/bench.py; needs wrk).
# bench-load: 50 simulated users on itb_bench_2000 (bench/load.py). Both write bench/RESULTS.md.
bench bench-load: export DJANGO_DEBUG = 1
bench bench-load: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
bench: venv
	$(BIN)/python bench/bench.py

bench-load: venv
	$(BIN)/python -m bench.load

# The checks of `make test` without the tests (.pre-commit-config.yaml runs the same).
lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Removes caches, collected static files, test artefacts and the demo database (not .venv).
clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles test-results screenshots db.sqlite3
