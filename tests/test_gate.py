"""The deletion gate, on real `pulumi preview --json` output and on handcrafted plans."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fastpix_emulator import EmulatorServer
from fastpix_provider.gate import PlanError, Removal, judge, main, read_plan, render_markdown
from pulumi_local import CliStack
from tests.conftest import PROJECT_ROOT
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, CatalogFile, entry

MEDIA = "pulumi-python:dynamic/fastpix:Media"


def step(op: str, key: str, media_id: str = "m-1", title: str = "T") -> dict:
    urn = f"urn:pulumi:dev::fastpix-media::{MEDIA}::{key}"
    return {"op": op, "urn": urn, "oldState": {"urn": urn, "type": MEDIA, "id": media_id, "outputs": {"title": title}}}


def test_deletes_and_replaces_of_media_are_found_and_nothing_else() -> None:
    plan = {"steps": [step("delete", "old"), step("same", "kept"), step("update", "edited"),
                      step("replace", "recut", "m-2"), step("create-replacement", "recut", "m-2"),
                      step("delete-replaced", "recut", "m-2"),
                      {"op": "delete", "urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b",
                       "oldState": {"type": "aws:s3/bucket:Bucket", "id": "b"}}]}
    assert read_plan(json.dumps(plan)) == [Removal("old", "delete", "m-1", "T"), Removal("recut", "replace", "m-2", "T")]


def test_limits_and_the_override() -> None:
    deletes = [Removal(f"k{i}", "delete", f"m{i}", "") for i in range(4)]
    assert judge(deletes[:3], max_deletes=3, max_replaces=0, override=False).passed
    assert not judge(deletes, max_deletes=3, max_replaces=0, override=False).passed
    assert judge(deletes, max_deletes=3, max_replaces=0, override=True).passed
    assert not judge([Removal("r", "replace", "m", "")], max_deletes=3, max_replaces=0, override=False).passed


def test_the_report_is_a_markdown_table_naming_each_media() -> None:
    verdict = judge([Removal("intro", "delete", "m-1", "Intro | cut"), Removal("tour", "replace", "m-2", "Tour")],
                    max_deletes=0, max_replaces=0, override=False)
    report = render_markdown(verdict)
    assert report.startswith("### FastPix deletion gate: blocked")
    assert "| `intro` | delete | `m-1` | Intro \\| cut |" in report
    assert "| `tour` | replace | `m-2` | Tour |" in report
    assert "FASTPIX_ALLOW_DELETIONS=true" in report


@pytest.mark.parametrize("text", ["", "not json", '{"nothing": 1}'])
def test_input_that_is_not_a_preview_is_an_error_not_a_pass(text: str) -> None:
    with pytest.raises(PlanError):
        read_plan(text)


def test_unreadable_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing.json")], environ={}) == 2
    assert "fastpix gate:" in capsys.readouterr().err


@pytest.mark.engine
def test_the_gate_on_real_previews_blocks_names_and_lets_approved_changes_through(
    emulator: EmulatorServer, toolchain, tmp_path: Path
) -> None:
    catalog = CatalogFile(tmp_path / "media.yaml", {f"clip-{i}": entry(title=f"Clip {i}") for i in range(5)})
    cli = CliStack(tmp_path / "cli", toolchain, {"FASTPIX_CATALOG": str(catalog.path), "FASTPIX_API_URL": emulator.api_url,
                                                 "FASTPIX_USERNAME": ACCESS_TOKEN_ID, "FASTPIX_PASSWORD": SECRET_KEY})
    cli.up()
    ids = {key: value["id"] for key, value in json.loads(cli.run("stack", "output", "--json").stdout).items()}
    for key in ("clip-0", "clip-1", "clip-2", "clip-3"):
        catalog.remove(key)
    catalog.set("clip-4", entry(url="https://static.fastpix.com/other.mp4", title="Clip 4"))
    preview = tmp_path / "preview.json"
    preview.write_text(cli.run("preview", "--json").stdout)

    def gate(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "fastpix_provider.gate", str(preview), *args], cwd=PROJECT_ROOT,
                              capture_output=True, text=True, env={"PATH": "", **env})

    blocked = gate("--max-deletes", "3")
    assert blocked.returncode == 1
    assert "deletes 4** and **replaces 1**" in blocked.stdout
    for key in ("clip-0", "clip-1", "clip-2", "clip-3"):
        assert f"| `{key}` | delete | `{ids[key]}` | Clip {key[-1]} |" in blocked.stdout
    assert f"| `clip-4` | replace | `{ids['clip-4']}` | Clip 4 |" in blocked.stdout
    assert gate("--max-deletes", "4", "--max-replaces", "1").returncode == 0
    approved = gate(FASTPIX_ALLOW_DELETIONS="true")
    assert approved.returncode == 0 and "Approved" in approved.stdout
    assert len(emulator.backend.media) == 5, "the gate only reads the preview"
