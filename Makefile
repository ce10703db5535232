# The project's commands. `make run` and `make test` are the README's contract:
# each works from a fresh clone, creating .venv with a Python >= 3.12 first.
PYTHON := $(shell bin/find-python)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint check lock lock-load clean bench loadtest
.DEFAULT_GOAL := run

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the pins change.
$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.lock
	touch $@

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# In parallel with pytest-xdist, one worker per CPU core (TEST_WORKERS=0: in one process),
# then the 15 slowest tests. Each worker has a test database and Redis keys of its own.
TEST_WORKERS ?= auto
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=15 $(PYTEST_ARGS)

# What CI (.ci/run) lints.
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(VENV)/.installed
	$(BIN)/python manage.py makemigrations --check --dry-run

# Page benchmark (docs/performance.md): SQLite with the database cache (the embedded default),
# then PostgreSQL at BENCH_DATABASE_URL with Redis at BENCH_REDIS_URL (as production runs).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/13
bench: $(VENV)/.installed
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python bin/bench --write $(BENCH_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python bin/bench --write --breakdown $(BENCH_ARGS)

# Load test (docs/performance.md): gunicorn on PostgreSQL and Redis, saturated page by page
# with wrk, then 100 users with locust; about 21 minutes with the defaults, writes the tables.
# Shorter: make loadtest LOADTEST_ARGS="--duration 5 --users 20 --run-time 60s".
# locust is installed into .venv only here, from requirements-load.lock.
loadtest: $(VENV)/.load-installed
	$(BIN)/python bin/loadtest --write $(LOADTEST_ARGS)

$(VENV)/.load-installed: requirements-load.lock $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements.lock -r requirements-load.lock
	touch $@

# Re-pin every package from pyproject.toml's dependency groups into requirements.lock.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet --group dev
	.lock-venv/bin/python -m pip freeze --exclude pip > requirements.lock
	rm -rf .lock-venv

# Re-pin the load group on top of requirements.lock into requirements-load.lock (only the
# packages requirements.lock does not already pin). Run it after `make lock`.
lock-load:
	rm -rf .lock-load-venv
	$(PYTHON) -m venv .lock-load-venv
	.lock-load-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-load-venv/bin/python -m pip install --quiet -r requirements.lock --group load
	.lock-load-venv/bin/python -m pip freeze --exclude pip | grep -vxFf requirements.lock > requirements-load.lock
	rm -rf .lock-load-venv

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
