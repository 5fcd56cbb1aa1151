"""Bring an existing FastPix library under management: write catalog entries that adopt it.

    python -m fastpix_provider.export [--metadata team=marketing] [--created-after 2026-01-01]
                                      [--created-before 2026-06-30] [--output media.yaml]

Lists every media of the workspace (GET /v1/on-demand, following its pages), keeps those that match
the filters, and writes one catalog entry per media with `adopt: <media id>` and the media's current
values, so the next `pulumi up` takes them over without creating or changing anything. Media that
already carry another stack's `fastpix-pulumi` tag are left out (`--include-managed` keeps them).
With `--output` naming an existing catalog, entries are added to it; media it already adopts or
manages are skipped and no existing key is overwritten. Credentials and the API URL come from
FASTPIX_USERNAME, FASTPIX_PASSWORD and FASTPIX_API_URL.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .client import FastPixClient
from .errors import FastPixError, NotFoundError
from .media import OWNER_METADATA_KEY
from .settings import ProviderSettings


def parse_filters(pairs: Iterable[str]) -> dict[str, str]:
    filters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--metadata takes key=value, got {pair!r}")
        filters[key] = value
    return filters


def parse_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"dates are ISO 8601, such as 2026-01-31 or 2026-01-31T12:00:00Z; got {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def selected(media: Mapping[str, Any], *, metadata: Mapping[str, str], after: datetime | None,
             before: datetime | None, include_managed: bool) -> bool:
    tags = media.get("metadata") or {}
    if OWNER_METADATA_KEY in tags and not include_managed:
        return False
    if any(tags.get(key) != value for key, value in metadata.items()):
        return False
    created = parse_date(media.get("createdAt"))
    if after and (created is None or created < after):
        return False
    return not (before and (created is None or created > before))


def catalog_entry(media: Mapping[str, Any], url: str | None) -> dict[str, Any]:
    """A catalog entry that adopts `media` as it is, so the first `pulumi up` changes nothing."""
    entry: dict[str, Any] = {}
    if url:
        entry["url"] = url
    entry["adopt"] = media["id"]
    if media.get("title"):
        entry["title"] = media["title"]
    if media.get("creatorId"):
        entry["creatorId"] = media["creatorId"]
    metadata = {k: v for k, v in (media.get("metadata") or {}).items() if k != OWNER_METADATA_KEY}
    if metadata:
        entry["metadata"] = metadata
    policies = [p.get("accessPolicy") for p in media.get("playbackIds") or []]
    entry["accessPolicy"] = policies[0] if policies else "public"
    for name in ("maxResolution", "mediaQuality"):
        if media.get(name):
            entry[name] = media[name]
    if media.get("mp4Support") and media["mp4Support"] != "none":
        entry["mp4Support"] = media["mp4Support"]
    if media.get("sourceAccess"):
        entry["sourceAccess"] = True
    return entry


def key_for(media: Mapping[str, Any], taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(media.get("title") or "").lower()).strip("-")[:60]
    base = slug or f"media-{str(media['id'])[:8]}"
    key, suffix = base, 2
    while key in taken:
        key, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(key)
    return key


def source_url(client: FastPixClient, media_id: str) -> str | None:
    """The http(s) URL a media was created from, when FastPix knows one (direct uploads have none)."""
    try:
        info = client.get_input_info(media_id)
    except NotFoundError:
        return None
    url = str((info.get("configuration") or {}).get("url") or "")
    return url if urlsplit(url).scheme in ("http", "https") else None


def export(client: FastPixClient, existing: Mapping[str, Any], **filters: Any) -> dict[str, Any]:
    """New catalog entries for the selected media that `existing` does not already hold."""
    adopted = {str(entry.get("adopt")) for entry in existing.values() if isinstance(entry, dict)}
    taken = set(existing)
    added: dict[str, Any] = {}
    for media in client.list_media(order_by="asc"):
        if media["id"] in adopted or not selected(media, **filters):
            continue
        added[key_for(media, taken)] = catalog_entry(media, source_url(client, media["id"]))
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastpix_provider.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE",
                        help="keep media whose metadata has this value; repeatable (all must match)")
    parser.add_argument("--created-after", help="keep media created at or after this ISO 8601 date")
    parser.add_argument("--created-before", help="keep media created at or before this ISO 8601 date")
    parser.add_argument("--include-managed", action="store_true", help="also export media another stack manages")
    parser.add_argument("--output", help="catalog file to add the entries to (default: print them)")
    args = parser.parse_args(argv)
    try:
        filters = {"metadata": parse_filters(args.metadata), "after": parse_date(args.created_after),
                   "before": parse_date(args.created_before), "include_managed": args.include_managed}
    except ValueError as error:
        parser.error(str(error))
    existing: dict[str, Any] = {}
    if args.output and Path(args.output).exists():
        existing = yaml.safe_load(Path(args.output).read_text()) or {}
        if not isinstance(existing, dict):
            parser.error(f"{args.output} is not a catalog (a map from key to media)")
    settings = ProviderSettings.resolve({}, os.environ)
    try:
        added = export(FastPixClient(settings.api_url, settings.credentials()), existing, **filters)
    except FastPixError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    text = yaml.safe_dump(added, sort_keys=False, allow_unicode=True) if added else ""
    if args.output:
        output = Path(args.output)
        if existing:
            # Append, so the entries and comments already there stay exactly as they were.
            with output.open("a", encoding="utf-8") as out:
                if text:
                    out.write("\n# adopted by python -m fastpix_provider.export\n" + text)
        else:
            # An empty catalog may be `{}`, which nothing can be appended to; keep only its comments.
            previous = output.read_text(encoding="utf-8") if output.exists() else ""
            comments = "".join(line for line in previous.splitlines(keepends=True) if line.lstrip().startswith("#"))
            output.write_text(comments + text, encoding="utf-8")
        print(f"added {len(added)} media to {args.output}", file=sys.stderr)
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
