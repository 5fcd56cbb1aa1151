# `make demo` and `make test` are the README's two commands: each sets up everything it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ENGINE_PATH = $(shell scripts/install-pulumi 2>/dev/null | tail -n 1)

.PHONY: setup engine demo test lint typecheck benchmark emulator clean

setup: $(STAMP) engine

$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

engine:
	scripts/install-pulumi >/dev/null

demo: setup
	PATH="$(ENGINE_PATH):$(abspath $(VENV))/bin:$$PATH" $(PY) -m scripts.demo

test: setup lint
	PATH="$(ENGINE_PATH):$(abspath $(VENV))/bin:$$PATH" $(PY) -m pytest

# Every GitHub Actions workflow of the repository: its own, and the examples teams copy.
WORKFLOWS = $(wildcard .github/workflows/*.yml .github/workflows/*.yaml examples/*/*workflow*.yml)
TOOLS := .tools
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(TOOLS)/actionlint-$(ACTIONLINT_VERSION)/actionlint

lint: $(STAMP) $(ACTIONLINT)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(ACTIONLINT) $(WORKFLOWS)
	$(VENV)/bin/zizmor --offline --no-progress $(WORKFLOWS)

# actionlint from the Go module proxy, into a git-ignored folder of the project; installed once per version.
$(ACTIONLINT):
	@command -v go >/dev/null 2>&1 || { echo "make lint: Go 1.25 or later is needed to install actionlint $(ACTIONLINT_VERSION) (https://go.dev/dl/)" >&2; exit 1; }
	@mkdir -p $(@D) && printf '*\n' > $(TOOLS)/.gitignore
	@GOBIN="$(abspath $(@D))" go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION) \
		|| { echo "make lint: could not install actionlint $(ACTIONLINT_VERSION) with go install (is the Go module proxy reachable?)" >&2; exit 1; }

emulator: $(STAMP)
	$(PY) -m fastpix_emulator --access-token-id local --secret-key local-secret --port 8089

benchmark: setup
	PATH="$(ENGINE_PATH):$(abspath $(VENV))/bin:$$PATH" $(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .pulumi-toolchain .pulumi-state
