# Two commands set up and run everything (see README.md):
#   make notebooks   install, then re-execute all five notebooks with full training (the main job)
#   make test        install, then lint and run the unit tests and nbval on the notebooks (quick training)
#   make mutation    mutmut over the lesson's modules and the sweep's summary: one kill rate per module
#   make test-oldest the unit tests and every notebook (2 epochs) on the lowest library versions pyproject.toml declares
#   make test-matrix the fast CPU LSTM path, the backend tests and Exercise 9.01 (2 epochs) on each Keras 3 minor listed
#                    in utils/tools/release_checks.py, each in its own cached venv under build/matrix/
#   make test-newest the whole suite (as make test) on the newest releases inside pyproject.toml's ranges
#   make colab-check the README's Colab recipe on Colab-like libraries, Exercise 9.01 at 2 epochs
#   make check-wheels every pin of requirements.txt has a wheel for each system and Python the README names (asks PyPI)
# Learners need none of them: the README's set-up is three plain commands per system, and docs/instructors.md
# gives each target's plain command.

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

.PHONY: install test test-oldest test-matrix test-newest colab-check lint notebooks table benchmark check-wheels kernel-memory jax-memory mutation
# The suite's command, shared by make test and make test-newest: $(call run_suite,BIN-FOLDER).
run_suite = KERAS_HOME=$(TEST_KERAS_HOME) WORKSHOP_EPOCHS=$${WORKSHOP_EPOCHS:-$(TEST_EPOCHS)} $(1)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup
NEWEST_BIN := build/newest/bin

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

lint: install
	$(BIN)/ruff check utils tests benchmarks

test: lint
	$(call run_suite,$(BIN))

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

test-matrix: install
	$(BIN)/python -m utils.tools.release_checks matrix $(if $(ONLY),--only $(ONLY))

# Installs afresh (pip upgrades build/newest/) every time: its verdict depends on the day it runs.
test-newest: install
	$(BIN)/python -m utils.tools.release_checks newest
	$(NEWEST_BIN)/ruff check utils tests benchmarks
	$(call run_suite,$(NEWEST_BIN))

colab-check: install
	$(BIN)/python -m utils.tools.release_checks colab

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

# Resolves the pins for Windows, macOS and Linux with pip, installing nothing; needs PyPI (docs/instructors.md).
check-wheels: install
	$(BIN)/python -m utils check-wheels

# Peak memory of one notebook kernel (papermill under /usr/bin/time -v): training 100 units 3 epochs, and TRAIN = False.
kernel-memory: install
	@$(BIN)/python benchmarks/kernel_memory.py

# What one compiled computation keeps, and a training process's peak with and without JAX's async dispatch.
jax-memory: install
	@$(BIN)/python benchmarks/jax_memory.py --runs 5
