"""Helpers for the tests of the GitOps example: import its scripts (examples/gitops/*.py) by name."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

GITOPS = Path(__file__).resolve().parents[2] / "examples" / "gitops"
WORKFLOW = GITOPS / "github-workflow.yml"


def script(name: str) -> ModuleType:
    """One of the example's scripts as a module; they import each other by plain name, as when run."""
    if str(GITOPS) not in sys.path:
        sys.path.insert(0, str(GITOPS))
    return importlib.import_module(name)
