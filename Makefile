# ITB trial tracker. `make run` for the demo site, `make test` for every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py

.PHONY: venv run totp test lint fmt clean

# The development settings (no secret key needed) for the demo site and the tests.
run totp test: export DJANGO_DEBUG = 1

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when requirements.txt changes.
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -r requirements.txt
	touch $@

run: venv
	$(MANAGE) migrate
	$(MANAGE) seed_demo
	@echo "Two-step sign-in: after the password, enter the code that 'make totp' prints (run it in another terminal)."
	$(MANAGE) runserver 127.0.0.1:8000

# The demo users' current sign-in codes (demo database only; see README.md).
totp: venv
	$(MANAGE) demo_totp

# Uses whatever DATABASE_URL is in the environment; SQLite (db.sqlite3) when unset.
test: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/python -m pytest -q

# A benchmark, not a test: PostgreSQL databases itb_bench_<N> (BENCH_SIZES=1000,10000 to limit),
# each page under gunicorn + wrk as a ratio to Django's own floor (bench/bench.py; needs wrk).
bench: export DJANGO_DEBUG = 1
bench: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
bench: venv
	$(BIN)/python bench/bench.py

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Removes caches, collected static files, test artefacts and the demo database (not .venv).
clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache staticfiles test-results screenshots db.sqlite3
