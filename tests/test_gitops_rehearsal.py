"""The local rehearsal of the GitOps pipeline (examples/gitops/rehearse.py), through the real engine.

It plays the workflow's own scripts against the emulator and a fake of GitHub's API: a pull request
removing four media is blocked at plan and at apply without approval, an approval by another person
lets exactly those four be deleted, an apply after the state moved refuses, four retainOnDelete
removals pass and leave FastPix untouched, and the drift check opens, updates and closes one issue.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from examples.gitops import rehearse
from pulumi_local import EngineToolchain, engine_environment
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.engine


def test_the_rehearsal_passes_every_step_of_the_merge_path(toolchain: EngineToolchain, tmp_path) -> None:
    env = {**os.environ, **engine_environment(tmp_path / "home", toolchain)}
    env.pop("FASTPIX_ALLOW_DELETIONS", None)
    result = subprocess.run([sys.executable, "-m", "examples.gitops.rehearse"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "FAILED" not in output and "rehearsal passed" in result.stdout
    expectations = rehearse.EXPECTATIONS
    assert len(expectations) == 16
    for expectation in expectations:
        assert f"  ok  {expectation}\n" in result.stdout, f"not checked: {expectation}\n{output}"
