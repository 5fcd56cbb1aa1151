"""Where an upload's bytes may go, and where its progress and retries are reported (fast, no engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastpix_emulator import EmulatorServer, FaultRule
from fastpix_provider import diagnostics, uploads
from fastpix_provider.errors import FastPixError
from fastpix_provider.provider import _upload_url
from tests.test_file_media import QUANTUM, file_props, make_provider, uploading, video_bytes, write

__all__ = ["make_provider", "uploading"]  # fixtures of test_file_media, used here

EMULATOR_API = "http://127.0.0.1:8089/v1"
LIVE_API = "https://api.fastpix.com/v1"


@pytest.mark.parametrize(("url", "api"), [
    ("https://storage.example/u?sig=1", LIVE_API),
    ("http://127.0.0.1:9/_emulator/storage/u", EMULATOR_API),
])
def test_bytes_go_to_https_or_to_loopback_when_the_api_is_on_loopback(url: str, api: str) -> None:
    assert _upload_url(url, api) == url


@pytest.mark.parametrize(("url", "api", "says"), [
    ("ftp://storage.example/u", LIVE_API, "(ftp scheme, host storage.example)"),
    ("/relative/only", LIVE_API, "(no scheme, host none)"),
    ("http://storage.example/u", EMULATOR_API, "(http scheme, host storage.example)"),  # the API alone on loopback
    ("http://127.0.0.1:9/u", LIVE_API, "(http scheme, host 127.0.0.1)"),  # the URL alone on loopback
])
def test_any_other_upload_url_is_refused_before_a_byte_is_sent(url: str, api: str, says: str) -> None:
    with pytest.raises(FastPixError) as refused:
        _upload_url(url, api)
    assert str(refused.value) == f"FastPix handed out an upload URL that is not https {says}; nothing was sent"


def test_progress_and_retries_land_on_the_resource_and_name_the_declared_file(
        make_provider, uploading: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "CHUNK_SIZE", 4 * QUANTUM)
    reported: list[tuple[str, str, str | None]] = []
    monkeypatch.setattr(diagnostics, "info", lambda text, urn=None: reported.append(("info", text, urn)))
    monkeypatch.setattr(diagnostics, "warn", lambda text, urn=None: reported.append(("warn", text, urn)))
    path = write(tmp_path / "cache-1234.bin", video_bytes(10 * QUANTUM))
    uploading.faults.add(FaultRule(kind="drop", method="PUT", path="^/_emulator/storage/", after_bytes=100_000, count=1))
    props = file_props(path, file="videos/intro.mp4", log_urn="urn:pulumi:dev::videos::fastpix:Media::intro")
    make_provider().create(props)
    progress = [text for kind, text, _urn in reported if kind == "info"]
    retries = [text for kind, text, _urn in reported if kind == "warn"]
    assert progress and all("videos/intro.mp4" in text for text in progress)
    assert retries and all(text for text in retries)
    assert {urn for _kind, _text, urn in reported} == {props["log_urn"]}


def test_a_found_lost_upload_is_called_an_upload(make_provider, uploading: EmulatorServer, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    warned: list[str] = []
    monkeypatch.setattr(diagnostics, "warn", lambda text, urn=None: warned.append(text))
    path = write(tmp_path / "intro.mp4", video_bytes(2 * QUANTUM))
    uploading.faults.add(FaultRule(kind="error", status=503, method="POST", path="^/v1/on-demand/upload$", count=1))
    uploading.faults.add(FaultRule(kind="error", status=524, method="POST", path="^/v1/on-demand/upload$", after=True,
                                   count=1))
    make_provider().create(file_props(path))
    assert any("FastPix holds no upload of this create" in text for text in warned)
    assert any(text.startswith("the create answer was lost, but FastPix created upload ") for text in warned)


def test_a_file_media_records_its_workspace_and_keeps_its_upload_id_through_update_and_refresh(
        make_provider, uploading: EmulatorServer, tmp_path: Path) -> None:
    provider = make_provider()
    path = write(tmp_path / "intro.mp4", video_bytes(2 * QUANTUM))
    props = file_props(path)
    created = provider.create(props)
    assert created.outs["workspace_id"] == uploading.backend.workspace_id
    upload_id = created.outs["upload_id"]
    assert upload_id in uploading.backend.uploads
    updated = provider.update(created.id, created.outs, {**props, "title": "Retitled"})
    assert updated.outs["upload_id"] == upload_id
    refreshed = provider.read(created.id, updated.outs)
    assert refreshed.outs["upload_id"] == upload_id and refreshed.outs["workspace_id"] == uploading.backend.workspace_id
