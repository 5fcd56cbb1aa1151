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
# The event loop turns every 16 media up to the 256th, then at each power of two, so registrations start
# while the rest are declared. A turn costs time proportional to what is declared so far: a turn every 16
# media throughout made 2,000 media cost 35 s more program CPU; doubling the spacing keeps the sum linear.
TURN_EVERY = 16
TURN_EVERY_UNTIL = 256


def _turns_the_loop(index: int) -> bool:
    if index <= 0:
        return False
    if index <= TURN_EVERY_UNTIL:
        return index % TURN_EVERY == 0
    return index & (index - 1) == 0


def declare_catalog(entries: list[CatalogEntry]) -> dict[str, Media]:
    declared: dict[str, Media] = {}
    spread = Spread.from_stack()
    # In a preview the engine answers each registration at once: turning the loop early only adds work.
    dry_run = pulumi.runtime.is_dry_run()
    for index, entry in enumerate(entries):
        if _turns_the_loop(index) and not dry_run:
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
