"""When `fastpix-pipeline apply` skips the engine's checkpoints (the fast mode), and what it asks first.

The fast mode is crash-safe only for what `fastpix-recover --reconcile` can redo after a killed run
(tests/test_kill_fast_mode.py): media created, updated, replaced or deleted. Anything else in the
reviewed plan keeps the checkpoints. Every apply, fast or not, starts only once `fastpix-recover --check`
found nothing an interrupted run left behind."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fastpix_provider.cli import fast_mode, pipeline
from fastpix_provider.cli.recover import CHECK_FOUND_WORK

MEDIA = "pulumi-python:dynamic/fastpix:Media"
TRACK = "pulumi-python:dynamic/fastpix:Track"


def step(op: str, key: str, kind: str = MEDIA, *, retained: bool = False, **inputs: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"type": kind, "inputs": {"url": "https://cdn.example.com/a.mp4", **inputs}}
    if retained:
        state["retainOnDelete"] = True
    urn = f"urn:pulumi:prod::media::{kind}::{key}"
    return {"op": op, "urn": urn, "newState": state, "oldState": state} if op != "create" else \
        {"op": op, "urn": urn, "newState": state}


def test_media_created_updated_replaced_and_deleted_may_run_fast() -> None:
    steps = [step("same", "kept"), step("create", "new"), step("update", "retitled"), step("replace", "moved"),
             step("create-replacement", "moved"), step("delete-replaced", "moved"), step("delete", "gone"),
             step("delete", "released", retained=True), step("refresh", "read"),
             step("same", "prod", "pulumi:pulumi:Stack"), step("create", "default", "pulumi:providers:pulumi-python")]
    assert fast_mode.blockers(steps) == []


def test_a_retained_media_created_or_replaced_keeps_the_checkpoints() -> None:
    assert fast_mode.blockers([step("create", "archive", retained=True)]) == [
        "archive: create of a media under retainOnDelete, which recovery never takes for an orphan"]
    assert len(fast_mode.blockers([step("create-replacement", "archive", retain_on_delete=True)])) == 1


def test_an_adoption_an_upload_or_an_import_keeps_the_checkpoints() -> None:
    assert fast_mode.blockers([step("create", "legacy", adopt_id="m-old"), step("replace", "talk", file_path="/v/t.mp4"),
                               step("import", "found")]) == [
        "legacy: create adopting an existing media, which recovery would take for an orphan",
        "talk: replace uploading a file, whose media recovery cannot see until FastPix has made it",
        "found: import of a media, which recovery does not redo"]


def test_children_and_other_providers_resources_keep_the_checkpoints() -> None:
    assert fast_mode.blockers([step("create", "intro/subtitles/en", TRACK), step("update", "b", "aws:s3/bucket:Bucket")]) == [
        f"intro/subtitles/en: create of {TRACK}, which recovery does not look for",
        "b: update of aws:s3/bucket:Bucket, which recovery does not look for"]


def test_a_preview_without_steps_has_no_blocker() -> None:
    assert fast_mode.decide({}) == [] and fast_mode.decide({"steps": None}) == []


# -- the apply job ----------------------------------------------------------------------------------

def apply_args(checkpoints: str = "auto") -> argparse.Namespace:
    return argparse.Namespace(stack="prod", checkpoints=checkpoints, pulumi="pulumi")


def plan_folder(tmp_path: Path, *steps: dict[str, Any]) -> Path:
    (tmp_path / "preview.json").write_text(json.dumps({"steps": list(steps)}))
    return tmp_path


class FakeRecover:
    def __init__(self, exit_code: int) -> None:
        self.exit_code = exit_code
        self.calls: list[list[str]] = []

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(command)
        assert fast_mode.SKIP_CHECKPOINTS not in kwargs["env"]
        return subprocess.CompletedProcess(command, self.exit_code)


def test_a_media_only_plan_on_a_stack_with_no_leftovers_runs_fast(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    recover = FakeRecover(0)
    monkeypatch.setattr("fastpix_provider.cli.pipeline.subprocess.run", recover)
    env = pipeline.up_environment(apply_args(), plan_folder(tmp_path, step("create", "new")), {"PATH": "/bin"})
    assert env == {"PATH": "/bin", fast_mode.SKIP_CHECKPOINTS: "true"}
    assert recover.calls[0][-4:] == ["fastpix_provider.cli.recover", "--stack", "prod", "--check"]


@pytest.mark.parametrize("checkpoints, steps", [
    ("auto", [step("delete", "gone")]),
    ("auto", [step("create", "archive", retained=True)]),
    ("always", [step("create", "new")]),
], ids=["fast", "a-blocker", "asked-for"])
def test_leftovers_of_an_interrupted_run_stop_every_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          checkpoints: str, steps: list[dict[str, Any]]) -> None:
    monkeypatch.setattr("fastpix_provider.cli.pipeline.subprocess.run", FakeRecover(CHECK_FOUND_WORK))
    with pytest.raises(RuntimeError, match=r"an interrupted run left media or state behind.*plan the change again"):
        pipeline.up_environment(apply_args(checkpoints), plan_folder(tmp_path, *steps), {})


def test_a_check_that_could_not_run_stops_the_apply_saying_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fastpix_provider.cli.pipeline.subprocess.run", FakeRecover(1))
    with pytest.raises(RuntimeError, match=r"could not check .* exited 1, see above\); nothing was applied"):
        pipeline.up_environment(apply_args(), plan_folder(tmp_path, step("delete", "gone")), {})


@pytest.mark.parametrize("checkpoints, steps", [
    ("auto", [step("create", "archive", retained=True)]),
    ("always", [step("create", "new")]),
], ids=["a-blocker", "asked-for"])
def test_otherwise_the_run_keeps_the_checkpoints_even_if_the_job_sets_the_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], checkpoints: str,
        steps: list[dict[str, Any]]) -> None:
    recover = FakeRecover(0)
    monkeypatch.setattr("fastpix_provider.cli.pipeline.subprocess.run", recover)
    env = pipeline.up_environment(apply_args(checkpoints), plan_folder(tmp_path, *steps),
                                  {fast_mode.SKIP_CHECKPOINTS: "true"})
    assert env == {} and len(recover.calls) == 1
    assert capsys.readouterr().out.startswith("pipeline: checkpointed run")
