# Two commands set up and run everything (see README.md):
#   make notebooks   install, then re-execute all five notebooks with full training (the main job)
#   make test        install, then lint and run the unit tests and nbval on the notebooks (quick training)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Quick training for the test run; WORKSHOP_EPOCHS in the environment wins.
TEST_EPOCHS ?= 2

.PHONY: install test lint notebooks table benchmark

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

lint: install
	$(BIN)/ruff check utils tests benchmarks

test: lint
	WORKSHOP_EPOCHS=$${WORKSHOP_EPOCHS:-$(TEST_EPOCHS)} $(BIN)/python -m pytest

notebooks: install
	$(BIN)/python -m utils notebooks $(if $(ONLY),--only $(ONLY))

table: install
	$(BIN)/python -m utils table

# Not echoed, so that the benchmark's host line (CPU, caches, threads) is the first line printed.
benchmark: install
	@$(BIN)/python benchmarks/train_speed.py --epochs 8 --units 50 100 --repeats 3
