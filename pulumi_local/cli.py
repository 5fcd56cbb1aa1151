"""The project's program driven by the `pulumi` CLI itself, from a project folder of its own.

The folder holds a Pulumi.yaml and a `__main__.py` that runs this project's program, so stack files
(`Pulumi.<stack>.yaml`) land there and not in the repository. Used by tests and by the GitOps
rehearsal in examples/gitops/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .engine import PROJECT_ROOT, EngineToolchain, engine_environment


class CliStack:
    """A stack of the real program (`__main__.py`) in its own folder, state on a file:// backend."""

    def __init__(self, folder: Path, toolchain: EngineToolchain, env: dict[str, str], stack: str = "dev") -> None:
        self.folder = folder / "project"
        self.folder.mkdir(parents=True)
        (folder / "state").mkdir(exist_ok=True)
        (self.folder / "Pulumi.yaml").write_text(
            "name: fastpix-media\nruntime:\n  name: python\n  options:\n"
            f"    virtualenv: {Path(sys.executable).parent.parent}\n")
        (self.folder / "__main__.py").write_text(
            f"import runpy\nrunpy.run_path({str(PROJECT_ROOT / '__main__.py')!r}, run_name='__main__')\n")
        self.toolchain = toolchain
        self.stack = stack
        self.env = {**os.environ, **engine_environment(folder / "home", toolchain,
                                                       {"PULUMI_BACKEND_URL": (folder / "state").as_uri(), **env})}
        self.run("stack", "init", stack, with_stack=False)

    def run(self, *args: str, check: bool = True, with_stack: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.toolchain.pulumi), *args, "--non-interactive"] + (["--stack", self.stack] if with_stack else [])
        result = subprocess.run(command, cwd=self.folder, env={**self.env, **env}, capture_output=True, text=True,
                                timeout=600)
        if check and result.returncode != 0:
            raise AssertionError(f"`pulumi {' '.join(args)}` failed:\n{result.stdout}\n{result.stderr}")
        return result

    def up(self, *args: str) -> str:
        return self.run("up", "--yes", *args).stdout

    def preview_json(self, *args: str) -> dict[str, Any]:
        return dict(json.loads(self.run("preview", "--json", *args).stdout))
