"""Media from a local file, without the engine: the rules, the digest cache, and the upload against the emulator.

The provider talks to the emulator's upload URL as it would to the live storage service's resumable
session (see fastpix_provider/uploads.py): chunks with Content-Range, 308 with Range, a status query
after a dropped connection.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fastpix_emulator import EmulatorServer, FaultRule
from fastpix_provider import catalog, media, uploads
from fastpix_provider.errors import FastPixError
from fastpix_provider.fields import catalog_name
from fastpix_provider.owner import OWNER_METADATA_KEY, OwnerTag
from fastpix_provider.provider import MediaProvider
from tests.support.builders import SAMPLE_URL

STACK_ID = "0123456789ab"
QUANTUM = uploads.QUANTUM


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def video_bytes(size: int, seed: int = 1) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest()
    return (block * (size // len(block) + 1))[:size]


# -- the rules ----------------------------------------------------------------------------------------


def reasons(inputs: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.message(catalog_name) for f in media.check_inputs(inputs)}


def test_exactly_one_of_url_and_file_naming_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "videos/intro.mp4", b"x" * 10)
    both = reasons({"url": SAMPLE_URL, "file": "videos/intro.mp4"})
    assert "url and file are both set" in both["file"] and "remove one" in both["file"]
    neither = reasons({})
    assert "url is required, or file" in neither["url"]
    assert reasons({"file": "videos/intro.mp4"}) == {}
    assert reasons({"adopt_id": "4fa85f64-5717-4562-b3fc-2c963f66afa6"}) == {}


@pytest.mark.parametrize(("file", "says"), [
    ("videos/missing.mp4", "does not exist"),
    ("videos", "is a folder, not a file"),
    ("videos/empty.mp4", "is empty"),
    ("https://cdn.example.com/intro.mp4", "use url for a video FastPix downloads"),
])
def test_a_bad_file_says_what_is_wrong_and_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           file: str, says: str) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "videos/empty.mp4", b"")
    found = reasons({"file": file})
    assert says in found["file"], found
    if "exist" in says:
        assert str(tmp_path / "videos/missing.mp4") in found["file"], "names the absolute path it looked at"


def test_the_catalog_takes_file_from_the_field_table_and_reports_every_missing_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "videos/intro.mp4", b"x" * 10)
    [entry] = catalog.parse_catalog("intro:\n  file: videos/intro.mp4\n  title: Intro\n")
    assert entry.args == {"file": "videos/intro.mp4", "title": "Intro"}
    with pytest.raises(catalog.CatalogError) as raised:
        catalog.parse_catalog("a:\n  file: nope-a.mp4\nb:\n  file: nope-b.mp4\n  url: https://x.example/v.mp4\n")
    problems = raised.value.problems
    assert any(p.startswith("a.file: file 'nope-a.mp4' does not exist") for p in problems), problems
    assert any(p.startswith("b.file: url and file are both set") for p in problems), problems


def test_the_digest_replaces_and_the_path_does_not() -> None:
    old = {"file": "a.mp4", "file_path": "/p/a.mp4", "file_digest": "sha256:1"}
    moved = {"file": "b/a.mp4", "file_path": "/q/b/a.mp4", "file_digest": "sha256:1"}
    edited = {**old, "file_digest": "sha256:2"}
    assert not media.plan_changes(old, moved).has_changes
    assert media.plan_changes(old, edited).replaces == ("file_digest",)
    assert media.plan_changes({"url": SAMPLE_URL}, old).replaces == ("url", "file_digest")


def test_the_upload_body_carries_the_settings_and_the_owner_tag() -> None:
    body = media.upload_body({"file": "a.mp4", "title": "Intro", "max_resolution": "720p", "owner": "p/s/intro#00"})
    assert body["corsOrigin"] == "*"
    settings = body["pushMediaSettings"]
    assert "inputs" not in settings
    assert settings["title"] == "Intro" and settings["maxResolution"] == "720p" and settings["accessPolicy"] == "public"
    assert settings["metadata"] == {OWNER_METADATA_KEY: "p/s/intro#00"}


# -- the digest cache ---------------------------------------------------------------------------------


def test_an_unchanged_file_is_not_read_again_even_by_a_new_process(tmp_path: Path) -> None:
    file = write(tmp_path / "a.mp4", b"one")
    cache = uploads.DigestCache(tmp_path / ".fastpix-cache")
    assert cache.digest(file) == sha(b"one")
    assert cache.digest(file) == sha(b"one")
    assert cache.hashed == 1
    again = uploads.DigestCache(tmp_path / ".fastpix-cache")  # the next preview: read from the file
    assert again.digest(file) == sha(b"one") and again.hashed == 0
    assert (tmp_path / ".fastpix-cache/.gitignore").read_text() == "*\n"


def test_touching_rehashes_to_the_same_digest_and_editing_to_a_new_one(tmp_path: Path) -> None:
    file = write(tmp_path / "a.mp4", b"one")
    cache = uploads.DigestCache(tmp_path / ".fastpix-cache")
    first = cache.digest(file)
    stat = file.stat()
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert cache.digest(file) == first and cache.hashed == 2
    file.write_bytes(b"two")  # same size, new bytes
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    assert cache.digest(file) == sha(b"two")


def test_a_cut_or_foreign_cache_line_is_ignored_and_the_log_is_compacted(tmp_path: Path) -> None:
    folder = tmp_path / ".fastpix-cache"
    folder.mkdir()
    (folder / "digests.jsonl").write_text('{"path": "/x", "size": 1, "mtime_ns": 1, "digest": "sha256:0"}\n{"pa')
    file = write(tmp_path / "a.mp4", b"one")
    cache = uploads.DigestCache(folder)
    for step in range(200):
        file.write_bytes(b"v%03d" % step)
        os.utime(file, ns=(1, 10**9 * (step + 1)))
        assert cache.digest(file) == sha(b"v%03d" % step)
    lines = (folder / "digests.jsonl").read_text().splitlines()
    assert len(lines) < 100, "stale lines are compacted away"
    assert uploads.DigestCache(folder).digest(file) == sha(b"v199")


def test_a_relative_file_is_read_from_the_project_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert uploads.resolve("videos/a.mp4") == tmp_path / "videos/a.mp4"
    assert uploads.resolve("/abs/a.mp4") == Path("/abs/a.mp4")


# -- the upload, against the emulator -----------------------------------------------------------------


def no_jitter(delay: float) -> float:
    return delay


@pytest.fixture
def uploading(emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    emulator.loopback_uploads = True
    try:
        yield emulator
    finally:
        emulator.loopback_uploads = False


@pytest.fixture
def make_provider(wire, uploading: EmulatorServer) -> Callable[..., MediaProvider]:
    def make(attempts: int = 4) -> MediaProvider:
        return wire(MediaProvider, uploading.api_url, attempts=attempts)

    return make


def file_props(path: Path, name: str = "intro", *, nonce_free_owner: str | None = None, **inputs: Any) -> dict[str, Any]:
    return {"file": path.name, "file_path": str(path), "file_digest": sha(path.read_bytes()), "access_policy": "public",
            "owner": nonce_free_owner or f"proj/dev/{name}", "stack_id": STACK_ID, **inputs}


def storage_calls(emulator: EmulatorServer) -> list[dict[str, Any]]:
    return [e for e in emulator.journal.entries() if e["path"].startswith("/_emulator/storage/")]


def test_a_file_is_uploaded_in_chunks_and_ends_as_one_media(make_provider, uploading: EmulatorServer, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "CHUNK_SIZE", 2 * QUANTUM)
    data = video_bytes(9 * QUANTUM + 123)
    path = write(tmp_path / "intro.mp4", data)
    with caplog.at_level(logging.INFO, logger="fastpix_provider"):
        result = make_provider().create(file_props(path, title="Intro"))
    [stored] = uploading.backend.media.values()
    assert result.id == stored.id and stored.title == "Intro"
    upload = uploading.backend.uploads[result.outs["upload_id"]]
    assert upload.status == "asset_created" and upload.media_id == stored.id
    assert upload.received_bytes == len(data) and "sha256:" + str(upload.sha256) == sha(data)
    assert OwnerTag.parse(stored.metadata[OWNER_METADATA_KEY]) == OwnerTag.parse(result.outs["owner_tag"])
    assert len(storage_calls(uploading)) == 5, "ten quanta and a bit in chunks of two"
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("uploading intro.mp4:")]
    percents = [int(m.split(": ")[1].split("%")[0]) for m in progress]
    assert percents[0] == 0 and percents[-1] == 100
    assert all(b - a <= 25 for a, b in itertools.pairwise(percents)), "a report per chunk of 22%"


def test_a_connection_dropped_mid_chunk_resumes_from_what_arrived(make_provider, uploading: EmulatorServer,
                                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uploads, "CHUNK_SIZE", 4 * QUANTUM)
    data = video_bytes(10 * QUANTUM)
    path = write(tmp_path / "intro.mp4", data)
    # The second chunk dies after 100,000 of its bytes; its answer is lost too.
    uploading.faults.add(FaultRule(kind="drop", method="PUT", path="^/_emulator/storage/", after_bytes=100_000,
                                   count=1))
    uploading.faults.add(FaultRule(kind="latency", latency_ms=0))
    result = make_provider().create(file_props(path))
    [stored] = uploading.backend.media.values()
    assert result.id == stored.id
    upload = uploading.backend.uploads[result.outs["upload_id"]]
    assert upload.received_bytes == len(data) and "sha256:" + str(upload.sha256) == sha(data)
    statuses = [e["status"] for e in storage_calls(uploading)]
    assert statuses[0] == 599 and 308 in statuses and statuses[-1] == 200
    posts = [e for e in uploading.journal.entries() if e["method"] == "POST"]
    assert len(posts) == 1, "resumed in the same upload, never a second one"


def test_a_lost_answer_to_the_upload_request_finds_the_upload_by_its_tag(make_provider, uploading: EmulatorServer,
                                                                        tmp_path: Path) -> None:
    path = write(tmp_path / "intro.mp4", video_bytes(QUANTUM))
    uploading.faults.add(FaultRule(kind="drop", method="POST", path="^/v1/on-demand/upload$", after=True, count=1))
    result = make_provider().create(file_props(path))
    assert len(uploading.backend.uploads) == 1, "the upload was made once"
    assert list(uploading.backend.media) == [result.id]


def test_an_upload_that_cannot_finish_is_cancelled(make_provider, uploading: EmulatorServer, tmp_path: Path) -> None:
    path = write(tmp_path / "intro.mp4", video_bytes(QUANTUM))
    uploading.faults.add(FaultRule(kind="error", status=503, method="PUT", path="^/_emulator/storage/"))
    with pytest.raises(FastPixError, match="failed 4 times in a row"):
        make_provider(attempts=4).create(file_props(path))
    [upload] = uploading.backend.uploads.values()
    assert upload.status == "cancelled"
    assert uploading.backend.media == {}


def test_a_file_edited_after_the_preview_leaves_no_media(make_provider, uploading: EmulatorServer,
                                                        tmp_path: Path) -> None:
    path = write(tmp_path / "intro.mp4", video_bytes(QUANTUM))
    props = file_props(path)
    path.write_bytes(video_bytes(QUANTUM, seed=2))
    with pytest.raises(FastPixError, match="changed while it was being uploaded"):
        make_provider().create(props)
    assert uploading.backend.media == {}


def test_uploads_a_killed_run_left_waiting_are_cancelled(make_provider, uploading: EmulatorServer,
                                                        tmp_path: Path, api: httpx.Client) -> None:
    def waiting_upload(tag: str) -> str:
        body = media.upload_body({"file": "x", "owner": tag})
        return str(api.post("/on-demand/upload", json=body).json()["data"]["uploadId"])

    ours = waiting_upload(f"proj/dev/intro#00000001@{STACK_ID}")
    other_resource = waiting_upload(f"proj/dev/outro#00000002@{STACK_ID}")
    other_stack = waiting_upload("proj/dev/intro#00000003@ba9876543210")
    path = write(tmp_path / "intro.mp4", video_bytes(QUANTUM))
    make_provider().create(file_props(path))
    statuses = {upload_id: uploading.backend.uploads[upload_id].status for upload_id in (ours, other_resource, other_stack)}
    assert statuses == {ours: "cancelled", other_resource: "waiting", other_stack: "waiting"}


def test_a_media_from_a_file_is_deleted_by_its_media_id_or_its_upload_id(make_provider, uploading: EmulatorServer,
                                                                         tmp_path: Path) -> None:
    provider = make_provider()
    first = provider.create(file_props(write(tmp_path / "a.mp4", video_bytes(QUANTUM, 1)), "a"))
    second = provider.create(file_props(write(tmp_path / "b.mp4", video_bytes(QUANTUM, 2)), "b"))
    provider.delete(first.id, first.outs)
    provider.delete(second.outs["upload_id"], second.outs)
    assert uploading.backend.media == {}


def test_the_upload_url_never_gets_fastpix_credentials_and_must_be_https(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def storage(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    path = write(tmp_path / "a.mp4", video_bytes(QUANTUM + 5))
    with uploads.storage_client(httpx.MockTransport(storage)) as http:
        digest = uploads.send_file(http, "https://storage.example/b/ws/u?sig=1", path)
    assert digest == sha(path.read_bytes())
    assert seen and all("authorization" not in r.headers for r in seen)
    from fastpix_provider.provider import _upload_url

    assert _upload_url("https://storage.googleapis.com/b/x?s=1", "https://api.fastpix.com/v1").startswith("https://")
    assert _upload_url("http://127.0.0.1:9/_emulator/storage/b", "http://127.0.0.1:9/v1").startswith("http://")
    with pytest.raises(FastPixError, match="not https"):
        _upload_url("http://storage.example/b/x", "https://api.fastpix.com/v1")


def test_a_session_the_service_forgot_is_an_error_not_a_retry(tmp_path: Path) -> None:
    path = write(tmp_path / "a.mp4", video_bytes(QUANTUM))
    with uploads.storage_client(httpx.MockTransport(lambda _r: httpx.Response(410))) as http:
        with pytest.raises(uploads.UploadSessionLost):
            uploads.send_file(http, "https://storage.example/u", path)


# -- the emulator's upload URL ------------------------------------------------------------------------


def test_the_upload_url_speaks_the_resumable_protocol(uploading: EmulatorServer, api: httpx.Client) -> None:
    body = media.upload_body({"file": "x", "owner": "p/s/k#00000001"})
    upload = api.post("/on-demand/upload", json=body).json()["data"]
    url = upload["url"]
    assert url.startswith(uploading.base_url + "/_emulator/storage/") and "upload_id=" in url
    total = 2 * QUANTUM + 10

    def put(content: bytes, content_range: str) -> httpx.Response:
        return httpx.put(url, content=content, headers={"Content-Range": content_range})

    asked = put(b"", f"bytes */{total}")
    assert asked.status_code == 308 and "range" not in asked.headers
    assert put(b"a" * 100, f"bytes 0-99/{total}").status_code == 422, "a chunk before the last is a multiple of 256 KiB"
    assert put(b"a" * QUANTUM, f"bytes 5-{QUANTUM + 4}/{total}").status_code == 422, "never after what is held"
    first = put(b"a" * QUANTUM, f"bytes 0-{QUANTUM - 1}/*")
    assert first.status_code == 308 and first.headers["range"] == f"bytes=0-{QUANTUM - 1}"
    assert put(b"", "bytes */*").headers["range"] == f"bytes=0-{QUANTUM - 1}"
    assert api.get(f"/on-demand/{upload['uploadId']}").status_code == 404, "not a media before its last byte"
    # The last chunk starts 5 bytes early (a resent overlap): what is held already is ignored.
    done = put(b"a" * 5 + b"b" * (total - QUANTUM), f"bytes {QUANTUM - 5}-{total - 1}/{total}")
    assert done.status_code == 200
    media_id = api.get(f"/on-demand/{upload['uploadId']}").json()["data"]["id"]
    assert put(b"", f"bytes */{total}").status_code == 200, "a complete upload says so"
    record = uploading.backend.uploads[upload["uploadId"]]
    assert record.media_id == media_id and record.received_bytes == total
    assert record.sha256 == hashlib.sha256(b"a" * QUANTUM + b"b" * (total - QUANTUM)).hexdigest()


def test_a_cancelled_upload_url_answers_404(uploading: EmulatorServer, api: httpx.Client) -> None:
    upload = api.post("/on-demand/upload", json=media.upload_body({"file": "x"})).json()["data"]
    api.put(f"/on-demand/upload/{upload['uploadId']}/cancel")
    assert httpx.put(upload["url"], content=b"", headers={"Content-Range": "bytes */10"}).status_code == 404


def test_after_bytes_applies_to_drops_only() -> None:
    assert FaultRule(kind="drop", after_bytes=10).after_bytes == 10
    for bad in ({"kind": "error", "after_bytes": 10}, {"kind": "drop", "after": True, "after_bytes": 10},
                {"kind": "drop", "after_bytes": -1}):
        with pytest.raises(ValueError, match="after_bytes"):
            FaultRule.from_json(bad)
