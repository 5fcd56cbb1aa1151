"""The `pulumi` CLI itself runs a Python program from Pulumi.yaml: up, preview --json, refresh, destroy.

On a machine where scripts/install-pulumi built the engine, the Python language host is the project's
own (tools/pulumi/language_host.py); on a machine with a full Pulumi install, it is Pulumi's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pulumi_local import EngineToolchain, engine_environment
from tests.conftest import TEST_PROVIDERS_IMPORTABLE

pytestmark = pytest.mark.engine

PROGRAM = '''
import os
from tests.support.marker import Marker

for name in os.environ["MARKER_NAMES"].split(","):
    if name:
        Marker(name, os.environ["MARKER_DIR"])
'''


def test_the_cli_runs_a_python_project_through_its_whole_lifecycle(toolchain: EngineToolchain, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        "name: cli-smoke\nruntime:\n  name: python\n  options:\n"
        f"    virtualenv: {Path(sys.executable).parent.parent}\n")
    (project / "__main__.py").write_text(PROGRAM)
    markers = tmp_path / "markers"
    markers.mkdir()
    env = engine_environment(tmp_path / "home", toolchain, {
        "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(), "MARKER_DIR": str(markers), "MARKER_NAMES": "one,two",
        **TEST_PROVIDERS_IMPORTABLE})
    (tmp_path / "state").mkdir()

    def pulumi(*args: str, **extra_env: str) -> str:
        result = subprocess.run([str(toolchain.pulumi), *args, "--stack", "dev", "--non-interactive"], cwd=project,
                                env={**os.environ, **env, **extra_env}, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        return result.stdout

    subprocess.run([str(toolchain.pulumi), "stack", "init", "dev", "--non-interactive"], cwd=project,
                   env={**os.environ, **env}, check=True, capture_output=True)
    pulumi("up", "--yes")
    assert len(list(markers.glob("created-*"))) == 2

    plan = json.loads(pulumi("preview", "--json", MARKER_NAMES="one"))
    assert [step["op"] for step in plan["steps"] if step["urn"].endswith("::two")] == ["delete"]
    pulumi("up", "--yes", MARKER_NAMES="one")
    assert [p.name.split("-")[1] for p in markers.glob("deleted-*")] == ["two"]

    pulumi("refresh", "--yes", MARKER_NAMES="one")
    pulumi("destroy", "--yes")
    assert sorted(p.name.split("-")[1] for p in markers.glob("deleted-*")) == ["one", "two"]
