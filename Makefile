# The two set-up commands are `make run` and `make test`; both build the
# virtual environment first when it is missing or pyproject.toml changed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test faults lint bench clean format

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dom demo
	$(BIN)/dom serve

test: $(STAMP)
	$(BIN)/pytest -q -m "not cluster"

# Several dom processes at once, kill -9 and races across processes (slower; CI runs it).
faults: $(STAMP)
	$(BIN)/pytest -q -m cluster

# ruff (domain/ruff.toml bans clock and randomness calls in the domain), the import
# contracts of pyproject.toml (layers, contexts; a cold run takes well under a second,
# so no cache folder is left in the tree), then types.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
