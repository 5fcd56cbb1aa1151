"""`export` never writes a signed upload URL (or any URL that is a credential) into the catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from fastpix_emulator import EmulatorServer
from fastpix_provider.catalog import CatalogError, parse_catalog
from fastpix_provider.cli.export import (
    DRM_PLACEHOLDER,
    URL_PLACEHOLDER,
    catalog_entry,
    drm_configuration_of,
    export,
    read_existing,
    source_of,
    withheld_because,
)
from fastpix_provider.errors import error_for_status
from tests.support.builders import ACCESS_TOKEN_ID, SAMPLE_URL, SECRET_KEY

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DRM_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"

# The source URL the live API reported for a media created by direct upload
# (captured: ../shared/fastpix-api/captured/retrieveMediaInputInfo.api.json, configuration.url).
CAPTURED_INPUT_URL = (
    "https://storage.googleapis.com/fastpix-uploads-asia/fd9197bb-8cfa-4569-b046-a30fb95e2381/"
    "66b74bdb-c868-4fc8-bc16-ad8e2dfcbc36?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=dev-staging-pub-sub"
    "%40fastpix-vms.iam.gserviceaccount.com%2F20260520%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20260520T090626Z"
    "&X-Goog-Expires=14400&X-Goog-SignedHeaders=host%3Bx-goog-resumable&X-Goog-Signature=adeb7cbb6d80e8cc7a770ba13e97"
    "4593f22ea01e88d210fb90e1370feaf05a662b81f29e0491a43971d197782b9fe8a9fc45f31a8d62c26b9828b6255e89ec25e3410091b48"
)
# The upload URL of a direct upload (captured: direct-upload-video-media.raw.json), shortened.
CAPTURED_UPLOAD_URL = (
    "https://storage.googleapis.com/fastpix-uploads-asia/fd9197bb-8cfa-4569-b046-a30fb95e2381/3fc1d54b-aa88-41df-bcf9-"
    "0cf7b66e75dd?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=dev-staging-pub-sub@fastpix-vms.iam.gservice"
    "account.com/20260520/auto/storage/goog4_request&X-Goog-Date=20260520T125113Z&X-Goog-Expires=14400&X-Goog-Signed"
    "Headers=host;x-goog-resumable&X-Goog-Signature=3a8fe3b085b5d39315fc&upload_id=AAVLpEjMiao07EW3gHkXZz_6uwVxw2L"
)


@pytest.mark.parametrize(("url", "because"), [
    (CAPTURED_INPUT_URL, "it is a signed URL (x-goog-credential)"),
    (CAPTURED_UPLOAD_URL, "it is a signed URL"),
    ("https://bucket.s3.eu-west-1.amazonaws.com/v.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2026"
     "&X-Amz-Date=20260520T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=abc", "signed URL"),
    ("https://bucket.s3.amazonaws.com/v.mp4?AWSAccessKeyId=AKIA&Expires=1790000000&Signature=abc%3D", "signed URL"),
    ("https://d111111abcdef8.cloudfront.net/v.mp4?Policy=eyJ&Signature=abc&Key-Pair-Id=K2JCJMDEHXQW5F", "signed URL"),
    ("https://acct.blob.core.windows.net/videos/v.mp4?sv=2022-11-02&se=2026-06-01&sr=b&sp=r&sig=abc%3D", "(sig)"),
    ("https://storage.googleapis.com/bucket/v.mp4?GoogleAccessId=sa@x.iam&Expires=1790000000&Signature=abc",
     "signed URL"),
    ("https://cdn.example.com/v.mp4?TOKEN=abc", "(token)"),
    ("https://user:secret@cdn.example.com/v.mp4", "user name or password"),
    ("https://storage.googleapis.com/fastpix-uploads-asia/ws/media-id", "FastPix's direct-upload storage"),
    ("https://fastpix-uploads-us.storage.googleapis.com/ws/media-id", "FastPix's direct-upload storage"),
    ("https://[::1/v.mp4", "not a well-formed URL"),
])
def test_signed_and_credential_urls_are_withheld(url: str, because: str) -> None:
    reason = withheld_because(url)
    assert reason is not None and because in reason


@pytest.mark.parametrize("url", [
    SAMPLE_URL,
    "https://cdn.example.com/videos/intro.mp4?v=2&quality=hd",
    "https://storage.googleapis.com/my-public-bucket/intro.mp4",  # a public bucket is a fine source
    "https://my-bucket.s3.amazonaws.com/intro.mp4",
    "http://example.com/signature/intro.mp4",  # words in the path are not parameters
])
def test_plain_source_urls_are_written(url: str) -> None:
    assert withheld_because(url) is None


def test_an_entry_never_holds_a_signed_url_even_when_given_one() -> None:
    entry = catalog_entry({"id": "m-1", "playbackIds": [{"accessPolicy": "public"}]}, CAPTURED_INPUT_URL)
    assert "url" not in entry
    assert entry == {"adopt": "m-1", "accessPolicy": "public"}


def test_a_drm_media_names_its_drm_configuration_where_fastpix_shows_it() -> None:
    on_media = {"id": "m-1", "drmConfigurationId": DRM_ID, "playbackIds": [{"accessPolicy": "drm"}]}
    on_playback_id = {"id": "m-1", "playbackIds": [{"accessPolicy": "drm", "drmConfigurationId": DRM_ID}]}
    assert catalog_entry(on_media, SAMPLE_URL)["drmConfigurationId"] == DRM_ID
    assert catalog_entry(on_playback_id, SAMPLE_URL)["drmConfigurationId"] == DRM_ID
    assert drm_configuration_of({"id": "m-1", "playbackIds": [{"accessPolicy": "drm"}]}) is None
    public = {"id": "m-1", "drmConfigurationId": DRM_ID, "playbackIds": [{"accessPolicy": "public"}]}
    assert "drmConfigurationId" not in catalog_entry(public, SAMPLE_URL)


class FakeClient:
    def __init__(self, media: list[dict[str, Any]], inputs: dict[str, Any]) -> None:
        self.media = media
        self.inputs = inputs

    def list_media(self, **_: Any) -> list[dict[str, Any]]:
        return self.media

    def get_input_info(self, media_id: str) -> dict[str, Any]:
        found = self.inputs.get(media_id)
        if isinstance(found, Exception):
            raise found
        return {"configuration": {"url": found}} if found is not None else {}


def library() -> FakeClient:
    media: list[dict[str, Any]] = [
        {"id": "4fa85f64-5717-4562-b3fc-2c963f66afa1", "title": "From URL", "playbackIds": [{"accessPolicy": "public"}]},
        {"id": "4fa85f64-5717-4562-b3fc-2c963f66afa2", "title": "Uploaded", "playbackIds": [{"accessPolicy": "public"}]},
        {"id": "4fa85f64-5717-4562-b3fc-2c963f66afa3", "title": "Locked", "playbackIds": [{"accessPolicy": "drm"}]},
        {"id": "4fa85f64-5717-4562-b3fc-2c963f66afa4", "title": "Gone input", "playbackIds": [{"accessPolicy": "public"}]},
    ]
    inputs: dict[str, Any] = {
        media[0]["id"]: SAMPLE_URL,
        media[1]["id"]: CAPTURED_INPUT_URL,
        media[2]["id"]: SAMPLE_URL,
        media[3]["id"]: error_for_status(404, method="GET", path="/x", message="not found", fastpix_envelope=True),
    }
    return FakeClient(media, inputs)


FILTERS: dict[str, Any] = {"metadata": {}, "after": None, "before": None, "include_managed": False}


def test_a_direct_upload_gets_a_placeholder_and_a_warning_naming_its_key() -> None:
    exported = export(library(), {}, **FILTERS)  # type: ignore[arg-type]
    assert list(exported.entries) == ["from-url", "uploaded", "locked", "gone-input"]
    assert exported.entries["from-url"]["url"] == SAMPLE_URL
    assert "url" not in exported.entries["uploaded"]
    assert exported.placeholders["uploaded"] == [URL_PLACEHOLDER]
    [upload_warning, drm_warning] = exported.warnings
    assert upload_warning.startswith("uploaded (media 4fa85f64-5717-4562-b3fc-2c963f66afa2): its source URL is not "
                                     "written to the catalog because it is a signed URL")
    assert "X-Goog" not in upload_warning and "storage.googleapis.com" not in upload_warning
    assert exported.placeholders["locked"] == [DRM_PLACEHOLDER]
    assert drm_warning.startswith("locked (media 4fa85f64-5717-4562-b3fc-2c963f66afa3): a drm media")

    text = exported.render()
    assert "X-Goog" not in text and "storage.googleapis.com" not in text
    assert f"uploaded:\n  # {URL_PLACEHOLDER}\n  adopt: 4fa85f64-5717-4562-b3fc-2c963f66afa2\n" in text
    assert f"locked:\n  # {DRM_PLACEHOLDER}\n  url: {SAMPLE_URL}\n" in text
    assert yaml.safe_load(text) == exported.entries


def test_the_rendered_catalog_adopts_everything_but_the_drm_media_it_cannot_describe() -> None:
    exported = export(library(), {}, **FILTERS)  # type: ignore[arg-type]
    del exported.entries["locked"]
    assert [entry.key for entry in parse_catalog(exported.render())] == ["from-url", "uploaded", "gone-input"]


def test_a_drm_media_with_its_configuration_shown_needs_no_placeholder() -> None:
    client = FakeClient([{"id": "m-9", "title": "Locked", "drmConfigurationId": DRM_ID,
                          "playbackIds": [{"accessPolicy": "drm"}]}], {"m-9": SAMPLE_URL})
    exported = export(client, {}, **FILTERS)  # type: ignore[arg-type]
    assert exported.entries["locked"]["drmConfigurationId"] == DRM_ID
    assert exported.placeholders == {} and exported.warnings == []


def test_source_of_a_media_without_input_info_is_nothing() -> None:
    client = library()
    assert source_of(client, "4fa85f64-5717-4562-b3fc-2c963f66afa4").url is None  # type: ignore[arg-type]
    assert source_of(client, "4fa85f64-5717-4562-b3fc-2c963f66afa2").withheld  # type: ignore[arg-type]


def test_the_catalog_added_to_is_read_with_the_catalogs_safeguards(tmp_path: Path) -> None:
    catalog = tmp_path / "media.yaml"
    catalog.write_text(f"a: &x\n  url: {SAMPLE_URL}\nb: *x\n")
    with pytest.raises(ValueError, match="anchor"):
        read_existing(catalog)
    catalog.write_text(f"a:\n  url: {SAMPLE_URL}\na:\n  url: {SAMPLE_URL}\n")
    with pytest.raises(ValueError, match="given twice"):
        read_existing(catalog)
    catalog.write_text("- a\n")
    with pytest.raises(ValueError, match="not a catalog"):
        read_existing(catalog)


# -- against the emulator: a real direct upload --------------------------------------------------------

def run_export(emulator: EmulatorServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"FASTPIX_API_URL": emulator.api_url, "FASTPIX_USERNAME": ACCESS_TOKEN_ID, "FASTPIX_PASSWORD": SECRET_KEY,
           "PATH": ""}
    return subprocess.run([sys.executable, "-m", "fastpix_provider.cli.export", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_export_of_a_direct_upload_writes_no_signed_url(emulator: EmulatorServer, api: httpx.Client,
                                                         tmp_path: Path) -> None:
    upload = api.post("/on-demand/upload", json={"corsOrigin": "*", "pushMediaSettings": {
        "accessPolicy": "public", "metadata": {"course": "art"}}}).json()["data"]
    put = httpx.put(emulator.loopback_upload_url(upload["url"]), content=b"\x00" * 1024)
    assert put.status_code == 200, put.text
    uploaded_id = put.json()["data"]["mediaId"]
    signed = api.get(f"/on-demand/{uploaded_id}/input-info").json()["data"]["configuration"]["url"]
    assert "X-Goog-Signature=" in signed, "the emulator must answer as the live API does"
    api.post("/on-demand", json={"inputs": [{"type": "video", "url": SAMPLE_URL}], "accessPolicy": "public",
                                 "title": "From URL"})

    catalog = tmp_path / "media.yaml"
    result = run_export(emulator, "--output", str(catalog))
    assert result.returncode == 0, result.stderr
    text = catalog.read_text()
    assert signed not in text and "X-Goog" not in text and "storage.googleapis.com" not in text
    assert signed not in result.stderr and "X-Goog-Signature" not in result.stderr
    key = f"media-{uploaded_id[:8]}"
    assert f"warning: {key} (media {uploaded_id}): its source URL is not written to the catalog" in result.stderr
    assert f"{key}:\n  # {URL_PLACEHOLDER}\n" in text
    entries = {entry.key: entry for entry in parse_catalog(text)}
    assert entries[key].args["adopt_id"] == uploaded_id and "url" not in entries[key].args
    assert entries["from-url"].args["url"] == SAMPLE_URL


def test_a_catalog_with_aliases_is_not_added_to(emulator: EmulatorServer, tmp_path: Path) -> None:
    catalog = tmp_path / "media.yaml"
    catalog.write_text(f"a: &x\n  url: {SAMPLE_URL}\nb: *x\n")
    result = run_export(emulator, "--output", str(catalog))
    assert result.returncode == 2
    assert "anchors and aliases are not allowed" in result.stderr
    with pytest.raises(CatalogError):
        parse_catalog(catalog.read_text())
