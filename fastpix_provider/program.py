"""The Pulumi program: one `Media` per catalog entry, and an export per key."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi

from ._sdk_compat import let_registrations_start
from .catalog import CatalogEntry, CatalogError, load_catalog
from .playback_ids import declare_children
from .resource import Media
from .spread import Spread

CATALOG_VARIABLE = "FASTPIX_CATALOG"
# Media declared between two turns of the event loop: registrations start while the rest are declared.
REGISTRATION_BATCH = 16


def declare_catalog(entries: list[CatalogEntry]) -> dict[str, Media]:
    declared: dict[str, Media] = {}
    spread = Spread.from_stack()
    # In a preview the engine answers each registration at once: turning the loop early only adds work.
    dry_run = pulumi.runtime.is_dry_run()
    for index, entry in enumerate(entries):
        if index and index % REGISTRATION_BATCH == 0 and not dry_run:
            let_registrations_start()
        opts = pulumi.ResourceOptions(protect=entry.protect, retain_on_delete=entry.retain_on_delete,
                                      provider=spread.provider_for(entry.key))
        declared[entry.key] = Media(entry.key, **entry.args, opts=opts)
        declare_children(entry, declared[entry.key])  # its subtitles, audio tracks and playback ids
    for key, item in declared.items():
        pulumi.export(key, {"id": item.id, "status": item.status, "playbackUrl": item.playback_url})
    return declared


def declare_catalog_file(folder: str | Path, default: str = "media.yaml") -> dict[str, Media]:
    """The whole program of a catalog project: load the catalog and declare its media.

    The catalog is `pulumi config set catalog <file>`, else FASTPIX_CATALOG, else `default`, relative to
    `folder` (the program's own). A malformed catalog stops the run with every problem and no traceback.
    """
    name = pulumi.Config().get("catalog") or os.environ.get(CATALOG_VARIABLE) or default
    try:
        entries = load_catalog(Path(folder) / name)
    except CatalogError as error:
        # RunError shows the message alone: the problems are the user's to fix, a traceback would bury them.
        raise pulumi.RunError(str(error)) from None
    return declare_catalog(entries)
