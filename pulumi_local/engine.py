"""Locate the Pulumi engine and build the environment it runs in."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTALL_SCRIPT = PROJECT_ROOT / "scripts" / "install-pulumi"
PASSPHRASE = "fastpix-local-only"  # protects nothing real: local test and demo stacks only


@dataclass(frozen=True)
class EngineToolchain:
    bin_dir: Path

    @property
    def pulumi(self) -> Path:
        return self.bin_dir / "pulumi"

    def version(self) -> str:
        out = subprocess.run([str(self.pulumi), "version"], capture_output=True, text=True, check=True,
                             env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"})
        return out.stdout.strip()


@functools.cache
def find_toolchain() -> EngineToolchain:
    """The engine `scripts/install-pulumi` chooses: a recent enough `pulumi` on PATH, or the project's build."""
    result = subprocess.run([str(INSTALL_SCRIPT)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"scripts/install-pulumi failed:\n{result.stderr}")
    return EngineToolchain(Path(result.stdout.strip().splitlines()[-1]))


def engine_environment(pulumi_home: Path, toolchain: EngineToolchain, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Variables for the engine and the processes it starts (language runtime, provider plugins)."""
    python_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join([str(toolchain.bin_dir), python_bin, os.environ.get("PATH", "")])
    env = {
        "PATH": path,
        "PULUMI_HOME": str(pulumi_home),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
        "PULUMI_PYTHON_CMD": sys.executable,
    }
    env.update(extra or {})
    return env
