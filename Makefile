# ITB trial tracker. `make run` for the demo site, `make test` for every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py

.PHONY: venv run test lint fmt clean

# The development settings (no secret key needed) for the demo site and the tests.
run test: export DJANGO_DEBUG = 1

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
	$(MANAGE) runserver 127.0.0.1:8000

# Uses whatever DATABASE_URL is in the environment; SQLite (db.sqlite3) when unset.
test: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/python -m pytest -q

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
