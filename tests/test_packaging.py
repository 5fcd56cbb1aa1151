"""fastpix-pulumi as its users get it: a wheel installed into their own Pulumi project.

The engine test builds the wheel, installs it into a new virtualenv outside the repository, makes a
project from templates/fastpix-media with `pulumi new`, and runs the official CLI's up/destroy
against the emulator: nothing of this checkout (no PYTHONPATH, no sys.path) reaches that project.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fastpix_emulator import EmulatorServer
from pulumi_local import EngineToolchain, engine_environment
from tests.conftest import PROJECT_ROOT
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, entry

TEMPLATE = PROJECT_ROOT / "templates" / "fastpix-media"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(PROJECT_ROOT)],
                   check=True, capture_output=True, text=True, timeout=600)
    [built] = out.glob("fastpix_pulumi-*.whl")
    return built


def test_the_wheel_holds_the_provider_and_the_emulator_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names if not name.startswith("fastpix_pulumi-")}
    assert top == {"fastpix_provider", "fastpix_emulator"}
    assert "fastpix_provider/provider.py" in names  # every stack's state names fastpix_provider.provider.MediaProvider
    assert "fastpix_provider/py.typed" in names and "fastpix_emulator/py.typed" in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Requires-Dist: pulumi<4,>=3.139" in metadata
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    for script in ("fastpix-gate", "fastpix-export", "fastpix-recover", "fastpix-emulator", "fastpix-pipeline",
                   "fastpix-pr-comment", "fastpix-drift-issue"):
        assert f"{script} = " in entry_points


def test_the_gate_starts_without_the_pulumi_sdk_or_grpc() -> None:
    probe = ("import sys\n"
             "from importlib.metadata import entry_points\n"
             "[gate] = [e for e in entry_points(group='console_scripts') if e.name == 'fastpix-gate']\n"
             "main = gate.load()\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'grpc', 'httpx'}))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_no_code_outside_the_tests_reaches_the_packages_through_sys_path() -> None:
    found = subprocess.run(["git", "grep", "-n", "-E", r"sys\.path\.insert|PYTHONPATH", "--", "*.py", ":!tests/"],
                           cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert found.stdout == ""


@pytest.fixture
def user_project(tmp_path: Path, wheel: Path, toolchain: EngineToolchain) -> Iterator[tuple[Path, dict[str, str]]]:
    """A project made from the template by `pulumi new`, with its own virtualenv holding the wheel."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(engine_environment(tmp_path / "home", toolchain, {"PULUMI_BACKEND_URL": (tmp_path / "state").as_uri()}))
    (tmp_path / "state").mkdir()
    subprocess.run(["pulumi", "new", str(TEMPLATE), "--dir", "videos", "--name", "my-videos", "--description",
                    "Our videos", "--generate-only", "--yes"], cwd=tmp_path, env=env, check=True, capture_output=True,
                   timeout=120)
    project = tmp_path / "videos"
    subprocess.run([sys.executable, "-m", "venv", str(project / "venv")], check=True, timeout=120)
    # The wheel, then the template's own requirements (which name fastpix-pulumi) at the template's own pins,
    # as its pipeline installs them.
    pip = str(project / "venv" / "bin" / "pip")
    subprocess.run([pip, "install", "--quiet", str(wheel), "-r", "requirements.txt", "-c", "constraints.txt"],
                   cwd=project, env=env, check=True, capture_output=True, text=True, timeout=600)
    frozen = subprocess.run([pip, "freeze"], cwd=project, env=env, check=True, capture_output=True, text=True).stdout
    pinned = [line for line in (project / "constraints.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert sorted(line for line in frozen.splitlines() if not line.startswith("fastpix")) == sorted(pinned), (
        "templates/fastpix-media/constraints.txt no longer pins exactly what fastpix-pulumi needs")
    yield project, env


@pytest.mark.engine
def test_a_project_made_from_the_template_manages_media_with_the_installed_wheel(
        user_project: tuple[Path, dict[str, str]], emulator: EmulatorServer) -> None:
    project, env = user_project
    env = {**env, "FASTPIX_USERNAME": ACCESS_TOKEN_ID, "FASTPIX_PASSWORD": SECRET_KEY}

    def pulumi(*args: str) -> str:
        result = subprocess.run(["pulumi", *args], cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result.stdout

    catalog = {"welcome": entry(title="Welcome"), "tour": entry(title="Tour")}
    (project / "media.yaml").write_text(yaml.safe_dump(catalog))
    pulumi("stack", "init", "dev")
    pulumi("config", "set", "fastpix:apiUrl", emulator.api_url)
    pulumi("up", "--yes", "--skip-preview")
    assert len(emulator.backend.media) == 2
    imported_from = subprocess.run([str(project / "venv" / "bin" / "python"), "-c",
                                    "import fastpix_provider; print(fastpix_provider.__file__)"],
                                   cwd=project, capture_output=True, text=True, check=True, env=env).stdout
    assert str(project / "venv") in imported_from and str(PROJECT_ROOT) not in imported_from

    del catalog["welcome"]
    (project / "media.yaml").write_text(yaml.safe_dump(catalog))
    pulumi("up", "--yes", "--skip-preview")
    assert [m.title for m in emulator.backend.media.values()] == ["Tour"]

    pulumi("destroy", "--yes", "--skip-preview")
    assert emulator.backend.media == {}
