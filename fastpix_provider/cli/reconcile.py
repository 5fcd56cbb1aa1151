"""Reconcile a stack's state with FastPix after a run that wrote no checkpoint: the fast mode's recovery.

In the fast mode (`PULUMI_SKIP_CHECKPOINTS=true pulumi up`) the engine writes the stack's state once,
when the run ends. A run killed before that leaves the state as it was *before* the run, whatever the
run did in FastPix. Each kind of lost step then shows in FastPix as follows, and is put right here
(`fastpix-recover --stack <stack> --reconcile --apply`) before the next `pulumi up`:

| lost step | what FastPix holds | what reconcile does | what the next `up` then does |
|---|---|---|---|
| create | a media tagged for this stack, in no state | deletes it (a provable orphan) | creates it |
| update | the media, with the new values | refreshes the resource (drifted) | updates it, if the catalog still differs |
| replace, new media made | the new media, in no state, beside the old | deletes the new one | replaces again |
| replace, old deleted too | only the new media | deletes the new one; refreshes the old (gone) | creates it |
| delete | nothing | refreshes the resource (gone): out of the state | nothing left to do |

The safety rules of the provider hold throughout: an orphan is only ever a media whose owner tag
carries this stack's id and no `!kept` mark and whose id no state records (see `recover.plan_recovery`;
the *old* media of a half-done replace carries the same owner path but is in the state, so it is never
touched), and a resource leaves the state only through the provider's own refresh, which believes a
404 only from the media's own workspace (`provider.confirm_gone`).

Known limit: a `retainOnDelete` entry's media carries `!kept` from its create on, so a create or
replace of such an entry lost by a killed fast run is reported (as released) and never deleted; the
next `up` makes another media for it. Use the default (checkpointing) mode for catalogs that add or
replace `retainOnDelete` entries. Likewise an adoption (`adoptId`) lost by a killed fast run leaves a
media that existed before tagged for this stack and in no state: reconcile would take it for an orphan
and delete it. `fastpix-pipeline apply` therefore keeps the checkpoints for any such change
(cli/fast_mode.py); run those by hand without PULUMI_SKIP_CHECKPOINTS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import media
from . import MEDIA_TYPE_SUFFIX

GONE = "gone"
DRIFTED = "drifted"


@dataclass(frozen=True)
class Stale:
    """A resource whose state no longer says what FastPix holds; a refresh of it puts that right."""

    urn: str
    media_id: str
    reason: str  # GONE: FastPix lists no media of that id; DRIFTED: its managed fields differ


def stale_resources(deployment: Mapping[str, Any], workspace_media: Iterable[Mapping[str, Any]]) -> list[Stale]:
    """The Media resources of the state that a lost step left behind FastPix, given every media it lists.

    `workspace_media` must be the whole listing of the workspace the stack's media live in: a media
    missing from it is only *suspected* gone, and the refresh that follows asks the provider, which
    proves the workspace before it drops anything from the state.
    """
    listed = {str(item.get("id")): item for item in workspace_media}
    stale = []
    for resource in deployment.get("resources") or []:
        if not str(resource.get("type", "")).endswith(MEDIA_TYPE_SUFFIX) or not resource.get("id"):
            continue
        media_id = str(resource["id"])
        found = listed.get(media_id)
        if found is None:
            stale.append(Stale(str(resource["urn"]), media_id, GONE))
        elif _drifted(resource.get("outputs") or {}, found):
            stale.append(Stale(str(resource["urn"]), media_id, DRIFTED))
    return stale


def _drifted(outputs: Mapping[str, Any], found: Mapping[str, Any]) -> bool:
    """Whether FastPix's media differs from the state in a field the provider manages."""
    declared = {k: v for k, v in outputs.items() if k not in media.COMPUTED_OUTPUTS and k != "__provider"}
    observed = media.observed_inputs(found, declared)
    return bool(media.plan_changes(declared, observed).has_changes)
