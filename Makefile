# polymodal: `make bench` sets up and runs the main job, `make test` sets up and runs the tests.
# Each creates .venv when it is missing and (re)installs when pyproject.toml changed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ARGS   ?=

.PHONY: setup bench test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

setup: $(VENV)/.installed

bench: setup
	$(BIN)/polymodal bench $(ARGS)

test: setup
	$(BIN)/python -m pytest $(ARGS)

clean:
	rm -rf $(VENV) runs .pytest_cache
