# `make demo` and `make test` are the README's two commands: each sets up everything it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ENGINE_PATH = $(shell scripts/install-pulumi 2>/dev/null | tail -n 1)

.PHONY: setup engine demo test test-slow lint typecheck benchmark emulator clean mutation

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
WORKFLOWS = $(wildcard .github/workflows/*.yml .github/workflows/*.yaml templates/*/.github/workflows/*.yml)
TOOLS := .tools
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(TOOLS)/actionlint-$(ACTIONLINT_VERSION)/actionlint

lint: $(STAMP) $(ACTIONLINT) typecheck
	$(VENV)/bin/ruff check .
	$(ACTIONLINT) $(WORKFLOWS)
	$(VENV)/bin/zizmor --offline --no-progress $(WORKFLOWS)

# actionlint from the Go module proxy, into a git-ignored folder of the project; installed once per version.
$(ACTIONLINT):
	@command -v go >/dev/null 2>&1 || { echo "make lint: Go 1.25 or later is needed to install actionlint $(ACTIONLINT_VERSION) (https://go.dev/dl/)" >&2; exit 1; }
	@mkdir -p $(@D) && printf '*\n' > $(TOOLS)/.gitignore
	@GOBIN="$(abspath $(@D))" go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION) \
		|| { echo "make lint: could not install actionlint $(ACTIONLINT_VERSION) with go install (is the Go module proxy reachable?)" >&2; exit 1; }

# The packages strictly; the tests for real mistakes (pyproject.toml, [tool.mypy]).
typecheck: $(STAMP)
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy tests

emulator: $(STAMP)
	$(PY) -m fastpix_emulator --access-token-id local --secret-key local-secret --port 8089

# The long runs left out of `make test`: many more kill points of the fast mode (tests marked slow).
test-slow: setup
	PATH="$(ENGINE_PATH):$(abspath $(VENV))/bin:$$PATH" FASTPIX_SLOW_TESTS=1 $(PY) -m pytest -m slow

benchmark: setup
	PATH="$(ENGINE_PATH):$(abspath $(VENV))/bin:$$PATH" $(PY) -m benchmarks.run

# Mutation testing of the safety-critical modules with mutmut (see tests/mutation-report.md): slow (minutes per
# module on 2 cores; times in the report), so not part of `make test` or CI.
# `make mutation MUTATE="retry settings"` runs some modules only. Afterwards: `.venv/bin/mutmut results` lists
# the survivors, `.venv/bin/mutmut show NAME` shows one.
MUTATE ?= provider client retry cli.recover cli.gate settings owner media
MUTATION_WORKERS ?= 2

mutation: $(STAMP)
	rm -rf mutants
	set -o pipefail; $(VENV)/bin/mutmut run --max-children $(MUTATION_WORKERS) \
		$(foreach module,$(MUTATE),"fastpix_provider.$(module).*") | grep -v '^🎉'
	$(PY) -c 'import json, pathlib; \
	root = pathlib.Path("mutants/fastpix_provider"); \
	codes = {".".join(p.relative_to(root).parts)[:-8]: list(json.loads(p.read_text())["exit_code_by_key"].values()) \
	         for p in sorted(root.rglob("*.py.meta"))}; \
	[print(f"{name:12} {sum(c in (1, 3) for c in v):5} killed {v.count(0):4} survived {v.count(33) + v.count(5):4} untested " \
	       f"{len(v) - sum(c in (0, 1, 3, 5, 33) for c in v):3} other  of {len(v):5}") \
	 for name, v in codes.items() if name in "$(MUTATE)".split()]'

clean:
	rm -rf $(VENV) .pulumi-toolchain .pulumi-state
