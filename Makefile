# Two entry points a newcomer needs: `make demo` and `make test`. Each builds .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast test-postgres lint bench mutate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev,postgres]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m bot demo

# The whole suite on 4 processes, each test file on one (pyproject: why); PYTEST_WORKERS=0 runs it in one.
PYTEST_WORKERS ?= 4
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile

# The whole suite again with every store on PostgreSQL (docs/deployment.md): the server at
# 127.0.0.1:5432 unless TEST_DATABASE names another (a postgresql:// URL to create the run's database
# beside); a server that cannot be reached fails the run with one line, never a quiet pass on SQLite.
TEST_DATABASE ?= postgres
test-postgres: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --database '$(TEST_DATABASE)'

# The unit tier only (no sockets, threads or sleeps): seconds, for the edit-test loop. On both
# cores, and with 100 drawn examples per property instead of 200 (the @example cases always run;
# `make test` draws the full 200, `make mutate` 25): 25 s in one process -> about 15 s here.
FAST_PROPERTY_EXAMPLES ?= 100
test-fast: $(STAMP)
	PROPERTY_EXAMPLES=$(FAST_PROPERTY_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider -n 2 tests/unit

# Style, formatting, the import contracts of docs/architecture.md, and types (strict on bot/core).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Every benchmark runs and prints its figures; the status is 1 if any missed its target.
# bench_national (issue 13) takes a few minutes; its elex ratio wants ELEX or /tmp/elexenv/bin/elex.
bench: $(STAMP)
	@fail=0; for f in benchmarks/bench_*.py; do m=$$(basename $$f .py); echo "== $$m"; $(BIN)/python -m benchmarks.$$m || fail=1; done; exit $$fail

# Mutation testing of the core (margins, rules, events) against the fast unit tests: on demand,
# not in CI; about 7 minutes on two quiet cores (20-30 shared). Figures and equivalent mutants: docs/testing.md.
MUTATE_EXAMPLES ?= 25
mutate: $(STAMP)
	rm -rf mutants
	PROPERTY_EXAMPLES=$(MUTATE_EXAMPLES) $(BIN)/mutmut run --max-children 2 > mutants.log 2>&1 || (tail -c 2000 mutants.log; exit 1)
	$(BIN)/python scripts/mutation_score.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis mutants mutants.log
