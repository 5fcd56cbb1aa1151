"""The Pulumi program: one `Media` per catalog entry, and an export per key."""

from __future__ import annotations

import pulumi

from .catalog import CatalogEntry
from .resource import Media


def declare_catalog(entries: list[CatalogEntry]) -> dict[str, Media]:
    declared: dict[str, Media] = {}
    for entry in entries:
        opts = pulumi.ResourceOptions(protect=entry.protect, retain_on_delete=entry.retain_on_delete)
        declared[entry.key] = Media(entry.key, **entry.args, opts=opts)
    for key, item in declared.items():
        pulumi.export(key, {"id": item.id, "status": item.status, "playbackUrl": item.playback_url})
    return declared
