"""Bring an existing FastPix library under management: write catalog entries that adopt it.

    fastpix-export [--metadata team=marketing] [--created-after 2026-01-01]
                                      [--created-before 2026-06-30] [--output media.yaml]

Lists every media of the workspace (GET /v1/on-demand, following its pages), keeps those that match
the filters, and writes one catalog entry per media with `adopt: <media id>` and the media's current
values, so the next `pulumi up` takes them over without creating or changing anything. Media that
already carry another stack's `fastpix-pulumi` tag are left out (`--include-managed` keeps them).
With `--output` naming an existing catalog, entries are added to it; media it already adopts or
manages are skipped and no existing key is overwritten. Credentials and the API URL come from
FASTPIX_USERNAME, FASTPIX_PASSWORD and FASTPIX_API_URL.

A signed URL is never written. A media created by direct upload has, as its source, the signed URL of
FastPix's upload storage (input info `configuration.url`, e.g. `https://storage.googleapis.com/
fastpix-uploads-asia/...?X-Goog-Signature=...`): a credential, useless to download from once expired.
Its entry gets a placeholder comment instead of `url`, and a warning on stderr names the key. The same
goes for any source URL that carries a signature or credentials (query parameters such as
X-Goog-Signature, X-Amz-Signature, Signature, sig, token; or user:password@). A `drm` media gets its
`drmConfigurationId` when FastPix shows it, else a placeholder comment and a warning.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

from ..catalog import MAX_FILE_BYTES, MAX_FILE_SIZE_TEXT, SAFE_LOADER, structure_problems
from ..client import FastPixClient
from ..errors import FastPixError, NotFoundError
from ..fields import DECLARED
from ..media import OWNER_METADATA_KEY, observed_inputs
from ..settings import ProviderSettings


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


# Query parameters that make a URL a credential: signed URLs of Google Cloud Storage (V4 and V2),
# Amazon S3 (SigV4 and V2), CloudFront, Azure Blob SAS, and the usual token parameters.
SIGNATURE_PARAMETERS = frozenset({
    "x-goog-signature", "x-goog-credential", "googleaccessid",
    "x-amz-signature", "x-amz-credential", "x-amz-security-token", "awsaccesskeyid",
    "signature", "key-pair-id", "policy",
    "sig",
    "token", "access_token", "auth", "upload_id",
})
# Where FastPix receives direct uploads (captured: direct-upload-video-media.raw.json,
# retrieveMediaInputInfo.api.json): a bucket named fastpix-uploads-<region> on Google Cloud Storage.
UPLOAD_STORAGE_HOSTS = ("storage.googleapis.com",)
UPLOAD_BUCKET_PREFIX = "fastpix-uploads"

URL_PLACEHOLDER = ("url: not written: created by direct upload, its only source is a signed upload URL (a credential); "
                   "add a url only to replace this media")
DRM_PLACEHOLDER = ("drmConfigurationId: unknown: FastPix does not show it; set the id of the DRM configuration this "
                   "media uses (GET /v1/on-demand/drm-configurations lists them)")


def withheld_because(url: str) -> str | None:
    """Why `url` must not be written into a catalog (it is or holds a credential), or None if it may."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "it is not a well-formed URL"
    if parts.username or parts.password:
        return "it carries a user name or password"
    names = {name.lower() for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    signed = sorted(names & SIGNATURE_PARAMETERS)
    if signed:
        return f"it is a signed URL ({signed[0]})"
    bucket = parts.path.lstrip("/").split("/", 1)[0] if host in UPLOAD_STORAGE_HOSTS else host.split(".", 1)[0]
    if (host in UPLOAD_STORAGE_HOSTS or host.endswith(".storage.googleapis.com")) and bucket.startswith(UPLOAD_BUCKET_PREFIX):
        return "it is FastPix's direct-upload storage"
    return None


@dataclass(frozen=True)
class Source:
    """A media's source as the catalog may show it: a URL, or why none is written."""

    url: str | None = None
    withheld: str | None = None  # the reason a URL FastPix holds is not written


def catalog_entry(media: Mapping[str, Any], url: str | None) -> dict[str, Any]:
    """A catalog entry that adopts `media` as it is, so the first `pulumi up` changes nothing.

    Every property a refresh reads back (the field table's `read`) is written, in the catalog's words;
    those FastPix can change in place only where they differ from FastPix's default.
    """
    entry: dict[str, Any] = {}
    if url and withheld_because(url) is None:
        entry["url"] = url
    entry["adopt"] = media["id"]
    observed = observed_inputs(media, {"access_policy": "public"})
    for prop in DECLARED:
        value: Any
        if prop.name == "drm_configuration_id":
            value = drm_configuration_of(media) if entry.get("accessPolicy") == "drm" else None
        elif prop.read is None:
            continue
        else:
            value = observed.get(prop.name)
        if value is None or value == {} or (prop.change == "in_place" and value == prop.default):
            continue
        entry[str(prop.catalog)] = value
    return entry


def drm_configuration_of(media: Mapping[str, Any]) -> str | None:
    """The DRM configuration id of a drm media, where FastPix shows it (on the media or its playback id)."""
    candidates = [media.get("drmConfigurationId")]
    candidates += [p.get("drmConfigurationId") for p in media.get("playbackIds") or [] if isinstance(p, Mapping)]
    return next((str(c) for c in candidates if isinstance(c, str) and c), None)


def key_for(media: Mapping[str, Any], taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(media.get("title") or "").lower()).strip("-")[:60]
    base = slug or f"media-{str(media['id'])[:8]}"
    key, suffix = base, 2
    while key in taken:
        key, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(key)
    return key


def source_of(client: FastPixClient, media_id: str) -> Source:
    """The http(s) URL a media was created from, when FastPix knows one that may be written down."""
    try:
        info = client.get_input_info(media_id)
    except NotFoundError:
        return Source()
    url = str((info.get("configuration") or {}).get("url") or "")
    if urlsplit(url).scheme not in ("http", "https"):
        return Source()
    reason = withheld_because(url)
    return Source(withheld=reason) if reason else Source(url=url)


@dataclass
class Exported:
    """New catalog entries, the placeholder comments that go in them, and warnings for the user."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    placeholders: dict[str, list[str]] = field(default_factory=dict)  # key -> comment lines in its entry
    warnings: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The entries as catalog YAML, each placeholder a comment inside its entry."""
        parts = []
        for key, entry in self.entries.items():
            lines = yaml.safe_dump({key: entry}, sort_keys=False, allow_unicode=True).splitlines(keepends=True)
            comments = [f"  # {comment}\n" for comment in self.placeholders.get(key, [])]
            parts.append("".join(lines[:1] + comments + lines[1:]))
        return "".join(parts)


def export(client: FastPixClient, existing: Mapping[str, Any], **filters: Any) -> Exported:
    """New catalog entries for the selected media that `existing` does not already hold."""
    adopted = {str(entry.get("adopt")) for entry in existing.values() if isinstance(entry, dict)}
    taken = set(existing)
    result = Exported()
    for media in client.list_media(order_by="asc"):
        if media["id"] in adopted or not selected(media, **filters):
            continue
        key = key_for(media, taken)
        source = source_of(client, media["id"])
        entry = catalog_entry(media, source.url)
        result.entries[key] = entry
        if source.withheld:
            result.placeholders.setdefault(key, []).append(URL_PLACEHOLDER)
            result.warnings.append(f"{key} (media {media['id']}): its source URL is not written to the catalog because "
                                   f"{source.withheld}; the entry has a placeholder comment instead")
        if entry["accessPolicy"] == "drm" and "drmConfigurationId" not in entry:
            result.placeholders.setdefault(key, []).append(DRM_PLACEHOLDER)
            result.warnings.append(f"{key} (media {media['id']}): a drm media whose DRM configuration FastPix does not "
                                   f"show; set drmConfigurationId in the catalog before `pulumi up`")
    return result


def read_existing(path: Path) -> dict[str, Any]:
    """The catalog entries are added to, read with the catalog's own safeguards (no aliases, no key twice)."""
    try:
        text = path.read_text(encoding="utf-8")
        if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
            raise ValueError(f"{path} is larger than a catalog may be ({MAX_FILE_SIZE_TEXT})")
        problems = structure_problems(text)
        if problems:
            raise ValueError(f"{path}: {problems[0]}")
        existing = yaml.load(text, Loader=SAFE_LOADER) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ValueError(f"{path} cannot be read as a catalog: {str(error)[:200]}") from None
    if not isinstance(existing, dict):
        raise ValueError(f"{path} is not a catalog (a map from key to media)")
    return existing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fastpix-export", description=__doc__,
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
        try:
            existing = read_existing(Path(args.output))
        except ValueError as error:
            parser.error(str(error))
    settings = ProviderSettings.resolve({}, os.environ)
    try:
        exported = export(FastPixClient(settings.api_url, settings.credentials()), existing, **filters)
    except FastPixError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for warning in exported.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    added = exported.entries
    text = exported.render()
    if args.output:
        output = Path(args.output)
        if existing:
            # Append, so the entries and comments already there stay exactly as they were.
            with output.open("a", encoding="utf-8") as out:
                if text:
                    out.write("\n# adopted by fastpix-export\n" + text)
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
