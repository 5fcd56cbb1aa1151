"""The real Pulumi engine on this machine: pinned version, and a dynamic resource's whole lifecycle."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pulumi_local import EngineToolchain
from tests.conftest import PROJECT_ROOT, StackFactory
from tests.support.marker import Marker

pytestmark = pytest.mark.engine


def pinned_version() -> str:
    text = (PROJECT_ROOT / "tools" / "pulumi" / "VERSION").read_text()
    return text.strip().split("=", 1)[1]


def test_the_engine_is_at_least_the_pinned_version_and_matches_the_sdk(toolchain: EngineToolchain) -> None:
    from importlib.metadata import version as installed

    version = toolchain.version().lstrip("v")
    assert tuple(map(int, version.split("."))) >= tuple(map(int, pinned_version().split(".")))
    constraints = (PROJECT_ROOT / "constraints.txt").read_text()
    assert f"pulumi=={pinned_version()}\n" in constraints
    assert installed("pulumi") == pinned_version()


def test_install_script_prints_the_engine_folder_last(toolchain: EngineToolchain) -> None:
    result = subprocess.run([str(PROJECT_ROOT / "scripts" / "install-pulumi")], capture_output=True, text=True, check=True)
    last_line = result.stdout.strip().splitlines()[-1]
    assert Path(last_line).is_absolute()
    assert (Path(last_line) / "pulumi").exists()
    assert (Path(last_line) / "pulumi-resource-pulumi-python").exists()


def test_up_creates_removing_deletes_and_destroy_empties(make_stack: StackFactory, tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    names = ["first", "second"]

    def program() -> None:
        for name in names:
            Marker(name, str(markers))

    stack = make_stack(program)
    result = stack.up()
    assert result.summary.resource_changes == {"create": 3}
    assert sorted(p.name.split("-")[1] for p in markers.glob("created-*")) == ["first", "second"]

    names.remove("second")
    result = stack.up()
    assert result.summary.resource_changes == {"delete": 1, "same": 2}
    [deleted] = markers.glob("deleted-*")
    assert deleted.name.startswith("deleted-second-")

    preview = stack.preview()
    assert preview.change_summary == {"same": 2}
    stack.refresh()

    stack.destroy()
    assert sorted(p.name.split("-")[1] for p in markers.glob("deleted-*")) == ["first", "second"]
    assert stack.resources() == []
