"""Media from local files: the content digest (cached), and the upload of the bytes to FastPix's upload URL.

The digest. A file-backed media is identified by the sha256 of its bytes, not by its path: editing the
file replaces the media, renaming, moving or touching it does not. The program computes it (Media, in
resource.py) on every preview, so it is cached by (absolute path, size, modification time in ns) in
`.fastpix-cache/digests.jsonl` under the project folder: an unchanged file is not read again. The
cache is a log of JSON lines (appending is cheap and safe for two programs at once; later lines win)
and is rewritten compactly once it holds mostly stale lines. A file that changes while it is read is
hashed but not cached.

The upload. `POST /on-demand/upload` answers an upload id and a signed URL of a storage service: the
live URL is a Google Cloud Storage *resumable session* URI (its query carries `upload_id=` and signs the
`x-goog-resumable` header). `send_file` speaks that service's resumable protocol:

- the file goes in chunks (CHUNK_SIZE, a multiple of 256 KiB as the service requires for every chunk
  but the last), each `PUT <url>` with `Content-Range: bytes A-B/TOTAL` and the chunk as its body;
  only one chunk is in memory at a time;
- the service answers `308` with `Range: bytes=0-N` (what it holds) until the last chunk, then 200/201;
- after a dropped connection, a timeout, 408, 429 or 5xx it asks how much arrived (`PUT` with no body
  and `Content-Range: bytes */TOTAL`) and resumes from there, never from the start; consecutive failures
  without progress are bounded by the retry policy;
- 404 or 410 means the session is gone (cancelled or expired): UploadSessionLost.

The storage URL never receives FastPix's credentials: it is signed, and a client of its own sends to it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

import httpx

from .errors import FastPixError
from .retry import RetryPolicy, parse_retry_after

DIGEST_ALGORITHM = "sha256"
CACHE_FOLDER = ".fastpix-cache"
CACHE_FILE = "digests.jsonl"
QUANTUM = 256 * 1024
CHUNK_SIZE = 32 * QUANTUM  # 8 MiB: the only part of a file held in memory at once
STORAGE_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=120.0, pool=30.0)
PROGRESS_STEP = 10  # percent between two progress messages

# -- the content digest -------------------------------------------------------------------------------


def file_digest(path: Path) -> str:
    """`sha256:<hex>` of a file's bytes, read in blocks."""
    with path.open("rb") as handle:
        return f"{DIGEST_ALGORITHM}:{hashlib.file_digest(handle, DIGEST_ALGORITHM).hexdigest()}"


class DigestCache:
    """Digests of files by (absolute path, size, mtime_ns), kept in `<folder>/digests.jsonl`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.file = folder / CACHE_FILE
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int, int, str]] | None = None
        self._lines = 0
        self.hashed = 0  # files read (cache misses) by this instance, for tests and measurements

    def digest(self, path: Path) -> str:
        """The digest of the file at `path` (absolute), read only when the cache has no current one."""
        path = Path(os.path.abspath(path))
        before = path.stat()
        key = str(path)
        with self._lock:
            known = self._load().get(key)
        if known is not None and known[0] == before.st_size and known[1] == before.st_mtime_ns:
            return known[2]
        digest = file_digest(path)
        self.hashed += 1
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns):
            self._remember(key, before.st_size, before.st_mtime_ns, digest)
        return digest

    def _load(self) -> dict[str, tuple[int, int, str]]:
        if self._entries is not None:
            return self._entries
        entries: dict[str, tuple[int, int, str]] = {}
        lines = 0
        try:
            text = self.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        for line in text.splitlines():
            lines += 1
            try:
                item = json.loads(line)
                entries[str(item["path"])] = (int(item["size"]), int(item["mtime_ns"]), str(item["digest"]))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a killed run, or not ours: ignored
        self._entries, self._lines = entries, lines
        return entries

    def _remember(self, key: str, size: int, mtime_ns: int, digest: str) -> None:
        line = json.dumps({"path": key, "size": size, "mtime_ns": mtime_ns, "digest": digest}) + "\n"
        with self._lock:
            entries = self._load()
            entries[key] = (size, mtime_ns, digest)
            try:
                self._ensure_folder()
                if self._lines > 2 * len(entries) + 64:
                    self._rewrite(entries)
                else:
                    with self.file.open("a", encoding="utf-8") as handle:
                        handle.write(line)
                    self._lines += 1
            except OSError:
                pass  # a read-only project folder: digests are computed every time, nothing breaks

    def _ensure_folder(self) -> None:
        if not self.folder.is_dir():
            self.folder.mkdir(parents=True, exist_ok=True)
            # The folder ignores itself, so a project without our .gitignore line does not commit it.
            (self.folder / ".gitignore").write_text("*\n", encoding="utf-8")

    def _rewrite(self, entries: dict[str, tuple[int, int, str]]) -> None:
        temporary = self.file.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            for path, (size, mtime_ns, digest) in entries.items():
                handle.write(json.dumps({"path": path, "size": size, "mtime_ns": mtime_ns, "digest": digest}) + "\n")
        os.replace(temporary, self.file)
        self._lines = len(entries)


_caches: dict[Path, DigestCache] = {}
_caches_lock = threading.Lock()


def digest_cache(project_dir: Path | None = None) -> DigestCache:
    """The cache of the project folder (default: the working directory), one per folder and process."""
    folder = Path(os.path.abspath(project_dir or Path.cwd())) / CACHE_FOLDER
    with _caches_lock:
        cache = _caches.get(folder)
        if cache is None:
            cache = _caches[folder] = DigestCache(folder)
        return cache


def resolve(file: str, project_dir: Path | None = None) -> Path:
    """The absolute path of a declared `file`: relative paths are read from the project folder."""
    path = Path(file).expanduser()
    return Path(os.path.abspath(path if path.is_absolute() else (project_dir or Path.cwd()) / path))


# -- sending the bytes ----------------------------------------------------------------------------------


class UploadError(FastPixError):
    """The file's bytes could not be sent to the upload URL."""


class UploadSessionLost(UploadError):
    """The upload URL no longer takes bytes (cancelled, or expired): the upload must start over."""


Progress = Callable[[int, int], None]
_RANGE = re.compile(r"^bytes=0-(\d+)$")
_RETRIED_STATUSES = frozenset({408, 429, 499, 500, 502, 503, 504})


def storage_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client for upload URLs: no FastPix credentials, no redirects, no proxies from the environment
    beyond httpx's defaults."""
    return httpx.Client(timeout=STORAGE_TIMEOUT, transport=transport, follow_redirects=False,
                        headers={"User-Agent": "fastpix-pulumi uploads"})


def send_file(
    http: httpx.Client,
    url: str,
    path: Path,
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_progress: Progress | None = None,
    on_retry: Callable[[str], None] | None = None,
    chunk_size: int | None = None,
    resume: bool = False,
) -> str:
    """Send the file at `path` to the resumable upload `url`; returns the digest of the bytes sent.

    The digest is computed from the bytes as they are read for sending (the file is read once), so the
    caller can tell whether the file changed after the program hashed it. `resume=True` asks the
    service first how much it holds (an upload found again after a lost answer).
    """
    chunk_size = chunk_size or CHUNK_SIZE
    if chunk_size <= 0 or chunk_size % QUANTUM:
        raise ValueError(f"chunk_size must be a positive multiple of {QUANTUM}")
    policy = policy or RetryPolicy()
    total = path.stat().st_size
    failures = 0
    with path.open("rb") as handle:
        reader = _Reader(handle, chunk_size)
        offset: int | None = _status(http, url, total) if resume else 0
        while offset is not None:
            if on_progress is not None:
                on_progress(offset, total)
            try:
                if offset >= total and total > 0:
                    # Every byte is held but the service has not said complete (its answer was lost): ask.
                    held = _status(http, url, total)
                    if held is not None and held >= total:
                        raise UploadError("the upload URL holds every byte of the file but does not say the "
                                          "upload is complete")
                else:
                    data = reader.read(offset, min(chunk_size, total - offset))
                    end = offset + len(data) - 1
                    held = _put(http, url, data, f"bytes {offset}-{end}/{total}" if data else f"bytes */{total}", total)
            except _Retry as retry:
                failures += 1
                if failures >= policy.max_attempts:
                    raise UploadError(f"sending {path.name} failed {failures} times in a row ({retry}); "
                                      "giving up") from None
                wait = policy.delay(failures, retry.retry_after)
                if on_retry is not None:
                    on_retry(f"sending {path.name}: {retry}; resuming in {wait:.1f}s")
                sleep(wait)
                with contextlib.suppress(_Retry):  # if asking fails too, the next chunk's answer tells
                    offset = _status(http, url, total)
                continue
            if held is not None and held > offset:
                failures = 0
            offset = held
        if on_progress is not None:
            on_progress(total, total)
        return reader.digest(path, total)


class _Reader:
    """Reads chunks at offsets into one reused buffer, and digests the file's bytes in order as they go by.

    One buffer for the whole file, on purpose: httpx keeps each request (and so its body) in a reference
    cycle with its response until the garbage collector runs, which an upload of large chunks outpaces
    (measured on httpx 0.28.1: 64 PUTs of fresh 8 MiB bytes held 290 MB). Views of a reused buffer cost
    nothing however long they live.
    """

    def __init__(self, handle: Any, chunk_size: int) -> None:
        self._handle = handle
        self._buffer = bytearray(chunk_size)
        self._hash = hashlib.new(DIGEST_ALGORITHM)
        self._hashed = 0

    def read(self, offset: int, size: int) -> memoryview:
        self._handle.seek(offset)
        view = memoryview(self._buffer)[:size]
        got = 0
        while got < size:
            count = self._handle.readinto(view[got:])
            if not count:
                break  # the file was cut short since it was measured; the digest check tells
            got += count
        data = view[:got]
        if offset <= self._hashed < offset + got:
            self._hash.update(data[self._hashed - offset:])
            self._hashed = offset + got
        return data

    def digest(self, path: Path, total: int) -> str:
        if self._hashed == total:
            return f"{DIGEST_ALGORITHM}:{self._hash.hexdigest()}"
        return file_digest(path)  # resumed past bytes never read here


class _Retry(Exception):
    """A failure after which the session may still be intact: ask and resume."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def _status(http: httpx.Client, url: str, total: int) -> int | None:
    """How many bytes the service holds (None: the upload is complete)."""
    return _put(http, url, b"", f"bytes */{total}", total)


def _put(http: httpx.Client, url: str, data: bytes | memoryview, content_range: str, total: int) -> int | None:
    # The body as an iterator over a view of the reused buffer (see _Reader), its length declared.
    headers = {"Content-Range": content_range, "Content-Type": "application/octet-stream",
               "Content-Length": str(len(data))}
    try:
        # httpx types the iterator as bytes; it passes views through to the socket unchanged.
        body = cast("Iterable[bytes]", iter((data,))) if data else b""
        response = http.put(url, content=body, headers=headers)
    except httpx.TransportError as exc:
        raise _Retry(f"the connection failed ({type(exc).__name__})") from None
    status = response.status_code
    if status in (200, 201):
        return None
    if status == 308:
        return _held(response.headers.get("range"), total)
    if status in _RETRIED_STATUSES or 500 <= status <= 599:
        raise _Retry(f"the upload URL answered {status}", parse_retry_after(response.headers.get("retry-after")))
    if status in (404, 410):
        raise UploadSessionLost(f"the upload URL answered {status}: the upload was cancelled or has expired")
    raise UploadError(f"the upload URL refused the file: {status} {response.reason_phrase}"
                      f"{' (the URL signature is not accepted)' if status == 403 else ''}")


def _held(header: str | None, total: int) -> int:
    if not header:
        return 0
    match = _RANGE.match(header.strip())
    if match is None:
        raise UploadError(f"the upload URL answered a Range header that is not `bytes=0-N` ({header[:40]!r})")
    held = int(match.group(1)) + 1
    if held > total:
        raise UploadError(f"the upload URL says it holds {held} bytes of a {total}-byte file")
    return held


class ProgressReport:
    """Calls `say` at 0%, then each time the upload crosses another PROGRESS_STEP percent."""

    def __init__(self, say: Callable[[str], None], name: str) -> None:
        self._say = say
        self._name = name
        self._next = 0
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        with self._lock:
            if percent < self._next:
                return
            self._next = (percent // PROGRESS_STEP + 1) * PROGRESS_STEP
        self._say(f"uploading {self._name}: {percent}% ({_size(done)} of {_size(total)})")


def _size(count: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"
