# `make demo` and `make test` are the README's two commands: each sets up everything it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ENGINE_PATH = $(shell scripts/install-pulumi 2>/dev/null | tail -n 1)

.PHONY: setup engine demo test lint typecheck benchmark emulator clean

setup: $(STAMP) engine

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

engine:
	scripts/install-pulumi >/dev/null

demo: setup
	PATH="$(ENGINE_PATH):$(abspath $(VENV))/bin:$$PATH" $(PY) scripts/demo.py

test: setup lint
	PATH="$(ENGINE_PATH):$(abspath $(VENV))/bin:$$PATH" $(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

emulator: $(STAMP)
	$(PY) -m fastpix_emulator --access-token-id local --secret-key local-secret --port 8089

benchmark: setup
	PATH="$(ENGINE_PATH):$(abspath $(VENV))/bin:$$PATH" $(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pulumi-toolchain .pulumi-state
