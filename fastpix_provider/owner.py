"""The owner tag: the one metadata entry that says which stack and resource a FastPix media belongs to.

Every media the provider creates or adopts carries `fastpix-pulumi: <tag>` in its metadata. The tag
lets a create whose answer was lost be found instead of created twice, lets `recover` put media of a
killed run back into the state, and lets adoption refuse a media another stack manages.

    0.1.0:  <project>/<stack>/<name>#<nonce>
    now:    <project>/<stack>/<name>#<nonce>@<stack id>[!kept]

- `<nonce>` (8 hex digits) is drawn per create: it tells apart two media of one resource (a replace
  creates the new before deleting the old), so the search after a lost answer finds exactly its own.
- `<stack id>` (12 hex digits) hashes the state backend, the organisation, the project and the stack:
  two stacks named alike in different backends or organisations sharing a workspace are told apart.
  The readable `<project>/<stack>` part alone cannot do that.
- `!kept` records that the resource is declared `retainOnDelete`: removing it from the program leaves
  the media in FastPix on purpose, so it is released, never an orphan to delete.

Tags of 0.1.0 carry no stack id: they are still found (and parsed), but never prove that a media
belongs to one particular stack.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

OWNER_METADATA_KEY = "fastpix-pulumi"
TAG_MAX_LENGTH = 255  # FastPix's limit on a metadata value
NONCE_HEX_DIGITS = 8
STACK_ID_HEX_DIGITS = 12
KEPT_MARK = "!kept"
# The longest suffix a tag can have: "#" nonce "@" stack id "!kept"; the readable path gets the rest.
_SUFFIX_MAX = 1 + NONCE_HEX_DIGITS + 1 + STACK_ID_HEX_DIGITS + len(KEPT_MARK)
PATH_MAX_LENGTH = TAG_MAX_LENGTH - _SUFFIX_MAX
_TAG = re.compile(
    rf"^(?P<path>.*)#(?P<nonce>[0-9a-f]{{{NONCE_HEX_DIGITS}}})"
    rf"(?:@(?P<stack_id>[0-9a-f]{{{STACK_ID_HEX_DIGITS}}}))?(?P<kept>{re.escape(KEPT_MARK)})?$"
)
DEFAULT_BACKEND_URL = "https://api.pulumi.com"


def owner_path(project: str, stack: str, name: str) -> str:
    """The readable part of a tag, cut to fit so that the same resource always gets the same path."""
    return f"{project}/{stack}/{name}"[:PATH_MAX_LENGTH]


@dataclass(frozen=True)
class OwnerTag:
    path: str  # <project>/<stack>/<name>, see owner_path
    nonce: str
    stack_id: str | None = None  # None: a tag written by 0.1.0
    kept: bool = False

    def render(self) -> str:
        text = f"{self.path[:PATH_MAX_LENGTH]}#{self.nonce}"
        if self.stack_id:
            text += f"@{self.stack_id}"
        if self.kept:
            text += KEPT_MARK
        return text

    @classmethod
    def parse(cls, text: Any) -> OwnerTag | None:
        """The tag in a metadata value, or None when the value is not one of ours."""
        if not isinstance(text, str) or len(text) > TAG_MAX_LENGTH:
            return None
        match = _TAG.match(text)
        if match is None or not match["path"]:
            return None
        return cls(path=match["path"], nonce=match["nonce"], stack_id=match["stack_id"], kept=bool(match["kept"]))

    @classmethod
    def of_media(cls, media: Mapping[str, Any]) -> OwnerTag | None:
        metadata = media.get("metadata")
        if not isinstance(metadata, Mapping):
            return None
        return cls.parse(metadata.get(OWNER_METADATA_KEY))

    @property
    def is_legacy(self) -> bool:
        return self.stack_id is None

    @property
    def project_and_stack(self) -> str:
        """`<project>/<stack>` as the path reads (a name with '/' in it makes this approximate)."""
        return self.path.rsplit("/", 1)[0] if "/" in self.path else self.path

    def with_kept(self, kept: bool) -> OwnerTag:
        return replace(self, kept=kept)

    def belongs_to(self, path: str, stack_id: str | None) -> bool:
        """True only when the tag proves it is this resource's: same path and the same stack id."""
        return bool(stack_id) and self.stack_id == stack_id and self.path == path[:PATH_MAX_LENGTH]


def stack_id_for(backend_url: str, organization: str, project: str, stack: str) -> str:
    """A short, stable id of one stack in one backend and organisation."""
    text = "\n".join((normalize_backend_url(backend_url), organization, project, stack))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:STACK_ID_HEX_DIGITS]


def normalize_backend_url(url: str) -> str:
    url = url.strip()
    if url.startswith("file://"):
        path = url[len("file://"):] or "/"
        # The CLI accepts file://~ and relative paths; hash the folder they name.
        path = os.path.abspath(os.path.expanduser(path))
        return "file://" + path
    return url.rstrip("/")


def current_backend_url(environ: Mapping[str, str], project_dir: Path | None = None) -> str:
    """The state backend the Pulumi CLI uses, found the way the CLI finds it.

    PULUMI_BACKEND_URL, else the project's `backend.url` in Pulumi.yaml, else the backend of
    `pulumi login` (PULUMI_HOME/credentials.json), else Pulumi Cloud.
    """
    if environ.get("PULUMI_BACKEND_URL"):
        return environ["PULUMI_BACKEND_URL"]
    project_file = _find_project_file(project_dir or Path.cwd())
    if project_file is not None:
        try:
            settings = yaml.safe_load(project_file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            settings = None
        backend = settings.get("backend") if isinstance(settings, dict) else None
        url = backend.get("url") if isinstance(backend, dict) else None
        if isinstance(url, str) and url:
            return url
    home = Path(environ.get("PULUMI_HOME") or Path.home() / ".pulumi")
    try:
        credentials = json.loads((home / "credentials.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        credentials = None
    current = credentials.get("current") if isinstance(credentials, dict) else None
    return current if isinstance(current, str) and current else DEFAULT_BACKEND_URL


def _find_project_file(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        for name in ("Pulumi.yaml", "Pulumi.yml"):
            if (folder / name).is_file():
                return folder / name
    return None
