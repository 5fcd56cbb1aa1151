"""Whether a reviewed change may run in the fast mode: `pulumi up` with the engine's checkpoints skipped.

In the fast mode (PULUMI_SKIP_CHECKPOINTS=true) the engine writes the stack's state once, when the run
ends, instead of twice per changed resource: linear instead of quadratic in the catalog's size. A run
killed before its end leaves the state as it was before the run. That is safe only for what
`fastpix-recover --reconcile` can find again and put right (reconcile.py; proven by
tests/test_kill_fast_mode.py): creates, updates, replaces and deletes of media, each found in FastPix by
its owner tag. It is not safe for

- a media created (or replaced) under `retainOnDelete`: its tag is `!kept` from the start, so a lost
  create is never taken for an orphan and the next run would make a second media;
- a media adopted (`adoptId`): adoption tags a media that existed before; a lost adoption would look
  like this stack's orphan, and reconcile deletes orphans;
- a media uploaded from a file: until FastPix has turned the upload into a media, recovery lists
  nothing to find;
- a subtitle, audio track or playback id (or any resource of another provider): reconcile does not
  look for them, so a lost create would be made twice.

`fastpix-pipeline apply` runs the fast mode exactly when `blockers` finds none of these among the
reviewed plan's steps, and only once `fastpix-recover --check` found nothing an interrupted run left
behind (orphans, pending creates, a broken state file).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import MEDIA_TYPE_SUFFIX

SKIP_CHECKPOINTS = "PULUMI_SKIP_CHECKPOINTS"
UNCHANGING_OPS = frozenset({"same", "read", "refresh"})
# What recovery redoes for a media (reconcile.py); any other step on a media keeps the checkpoints.
RECOVERABLE_MEDIA_OPS = frozenset({"create", "update", "replace", "create-replacement", "delete-replaced", "delete",
                                   "discard", "discard-replaced"})
CREATING_OPS = frozenset({"create", "replace", "create-replacement"})
# The stack itself and provider instances change nothing in FastPix.
HARMLESS_TYPE_PREFIXES = ("pulumi:pulumi:Stack", "pulumi:providers:")


def _retained(state: Mapping[str, Any]) -> bool:
    return bool(state.get("retainOnDelete")) or bool((state.get("inputs") or {}).get("retain_on_delete"))


def blockers(steps: Iterable[Mapping[str, Any]]) -> list[str]:
    """Why these preview steps (`pulumi preview --json`) must keep the engine's checkpoints; [] if none."""
    found: list[str] = []
    for step in steps:
        op = str(step.get("op", ""))
        if op in UNCHANGING_OPS:
            continue
        new = step.get("newState") or step.get("new") or {}
        old = step.get("oldState") or step.get("old") or {}
        kind = str(new.get("type") or old.get("type") or step.get("type") or "")
        key = str(step.get("urn", "")).rsplit("::", 1)[-1]
        if kind.startswith(HARMLESS_TYPE_PREFIXES):
            continue
        inputs = new.get("inputs") or {}
        if not kind.endswith(MEDIA_TYPE_SUFFIX):
            found.append(f"{key}: {op} of {kind or 'a resource of unknown type'}, which recovery does not look for")
        elif op not in RECOVERABLE_MEDIA_OPS:
            found.append(f"{key}: {op} of a media, which recovery does not redo")
        elif op in CREATING_OPS and _retained(new):
            found.append(f"{key}: {op} of a media under retainOnDelete, which recovery never takes for an orphan")
        elif op in CREATING_OPS and inputs.get("adopt_id"):
            found.append(f"{key}: {op} adopting an existing media, which recovery would take for an orphan")
        elif op in CREATING_OPS and inputs.get("file_path"):
            found.append(f"{key}: {op} uploading a file, whose media recovery cannot see until FastPix has made it")
    return found


def decide(preview: Mapping[str, Any]) -> list[str]:
    """The blockers of a whole `pulumi preview --json` document (a preview without steps has none)."""
    return blockers(preview.get("steps") or [])
