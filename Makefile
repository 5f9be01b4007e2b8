# Two commands set up and run everything (see README.md):
#   make notebooks   install, then re-execute all five notebooks with full training (the main job)
#   make test        install, then lint and run the unit tests and nbval on the notebooks (quick training)
#   make mutation    mutmut over the lesson's modules and the sweep's summary: one kill rate per module
#   make test-oldest the unit tests and every notebook (2 epochs) on the lowest library versions pyproject.toml declares

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Quick training for the test run; WORKSHOP_EPOCHS in the environment wins.
TEST_EPOCHS ?= 2
# pytest-xdist processes for make test: the unit tests share them, the notebooks run in order in one of them.
TEST_WORKERS ?= 2
OLDEST_VENV ?= .venv-oldest
OLDEST_BIN := $(OLDEST_VENV)/bin
# Tests read no keras.json from the user's home folder: Keras's settings come from a folder inside the repository.
TEST_KERAS_HOME := $(CURDIR)/build/keras-home

.PHONY: install test test-oldest lint notebooks table benchmark mutation

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

lint: install
	$(BIN)/ruff check utils tests benchmarks

test: lint
	KERAS_HOME=$(TEST_KERAS_HOME) WORKSHOP_EPOCHS=$${WORKSHOP_EPOCHS:-$(TEST_EPOCHS)} $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# A fresh virtual environment whenever the lowest versions change.
$(OLDEST_VENV)/.installed: constraints/requirements-oldest.txt pyproject.toml
	rm -rf $(OLDEST_VENV)
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_BIN)/python -m pip install --quiet --upgrade pip
	$(OLDEST_BIN)/python -m pip install --quiet -r constraints/requirements-oldest.txt
	touch $@

# Every cell must run; outputs are not compared with the committed ones (other versions print other digits).
test-oldest: $(OLDEST_VENV)/.installed
	KERAS_HOME=$(TEST_KERAS_HOME) WORKSHOP_EPOCHS=$(TEST_EPOCHS) $(OLDEST_BIN)/python -m pytest --nbval-lax

# Each module against its own unit tests (tests/mutation.py lists them); mutmut works in build/mutation/.
mutation: install
	$(BIN)/python tests/mutation.py

notebooks: install
	$(BIN)/python -m utils notebooks $(if $(ONLY),--only $(ONLY))

table: install
	$(BIN)/python -m utils table

# Not echoed, so that the benchmark's host line (CPU, caches, threads) is the first line printed.
benchmark: install
	@$(BIN)/python benchmarks/train_speed.py --epochs 8 --units 50 100 --repeats 3
