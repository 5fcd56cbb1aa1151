"""The local rehearsal of the GitOps pipeline (examples/gitops/rehearse.py) passes end to end."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pulumi_local import EngineToolchain, engine_environment
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.engine


def test_the_rehearsal_passes(toolchain: EngineToolchain, tmp_path) -> None:
    env = {**os.environ, **engine_environment(tmp_path / "home", toolchain)}
    result = subprocess.run([sys.executable, str(PROJECT_ROOT / "examples" / "gitops" / "rehearse.py")],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rehearsal passed" in result.stdout
    assert "FAILED" not in result.stdout
    assert result.stdout.count("  ok ") == 9
