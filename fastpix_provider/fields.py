"""Every property of a media, declared once.

One `MediaField` per property: its Python name (the `Media` argument, the provider's input and output),
its catalog name, its name on FastPix's wire, its type and limits, FastPix's default, what a change of
it does (update in place through which PATCH call, replace, or nothing), how the create and update
bodies carry it, and how a refresh reads it back. Everything else derives from this table:

- `media.py`: validation, the change plan, the request bodies, the values a refresh observes;
- `catalog.py`: the catalog's property names and the words of its errors;
- `export.py`: the catalog entry of an existing media;
- `_media_inputs.py`, generated from this table by `python -m fastpix_provider.fields`: `MediaArgs`,
  the typed keyword arguments of `Media(...)` and its declared outputs (a test fails when it is stale).

Adding a property is one entry here (plus the emulator, if FastPix's wire grows, and tests).
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .owner import OWNER_METADATA_KEY

ACCESS_POLICIES = ("public", "private", "drm")
MAX_RESOLUTIONS = ("2160p", "1440p", "1080p", "720p", "480p")
MEDIA_QUALITIES = ("standard", "pro", "premium")
MP4_SUPPORT = ("none", "capped_4k", "audioOnly", "audioOnly,capped_4k")
TEXT_MAX_LENGTH = 255
METADATA_MAX_KEYS = 10
# One metadata key holds the owner tag (owner.py): users have 9.
USER_METADATA_MAX_KEYS = METADATA_MAX_KEYS - 1

Kind = Literal["url", "file", "text", "enum", "bool", "uuid", "metadata", "seconds", "internal"]
# What a change of the property does to an existing media.
Change = Literal["in_place", "replace", "nothing"]
# How POST /on-demand carries it: always, only when declared, only when not FastPix's default, never.
Sent = Literal["always", "if_set", "unless_default", "never"]


@dataclass(frozen=True)
class MediaField:
    name: str
    kind: Kind
    doc: str
    catalog: str | None = None  # None: not a catalog property (set by the program itself)
    wire: str | None = None  # FastPix's JSON name, in the create body and the media object
    python_type: str = "str"  # the type Media(...) takes, as written in the generated module
    default: Any = None  # FastPix's value when the property is left out
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    change: Change = "nothing"
    call: str | None = None  # the PATCH call that changes it in place: update | source_access | mp4_support
    sent: Sent = "never"
    # What a refresh reads from a FastPix media object, given the declared value (which it returns where
    # FastPix leaves the property out). None: FastPix never shows it, and the declared value stands.
    read: Callable[[Mapping[str, Any], Any], Any] | None = None
    output: bool = True  # declared as an output of Media (every input is, except internal ones)


def _metadata_without_owner(media: Mapping[str, Any], _declared: Any) -> dict[str, Any]:
    metadata = dict(media.get("metadata") or {})
    metadata.pop(OWNER_METADATA_KEY, None)
    return metadata


def _access_policy(media: Mapping[str, Any], declared: Any) -> Any:
    """The declared policy while any playback id has it, else that of the first playback id."""
    policies = [p.get("accessPolicy") for p in media.get("playbackIds") or [] if isinstance(p, Mapping)]
    if not policies or (declared or "public") in policies:
        return declared
    return policies[0]


FIELDS: tuple[MediaField, ...] = (
    MediaField("url", "url", "public http(s) URL of the video FastPix downloads (exactly one of `url` and `file`)",
               catalog="url", change="replace", sent="always"),
    # A local file is uploaded (POST /on-demand/upload, then its bytes to the upload URL). What replaces
    # the media is its content digest, not its path: renaming or moving the file changes nothing.
    MediaField("file", "file", "path of a local video file to upload, relative to the project folder (the "
               "program's working directory); exactly one of `url` and `file`", catalog="file"),
    # Set by Media from `file`: the file's sha256 ("sha256:<hex>"), computed in the program (cached by
    # path, size and modification time, see uploads.DigestCache); a change replaces the media.
    MediaField("file_digest", "internal", "sha256 of the uploaded file's bytes", change="replace"),
    # Set by Media from `file`: the absolute path the provider process reads (its working directory
    # may differ from the program's). Not compared: a moved file with the same bytes is the same media.
    MediaField("file_path", "internal", "absolute path of `file`", output=False),
    # Set by Media: the resource's URN, so that upload progress lands on the resource in the CLI.
    MediaField("log_urn", "internal", "the resource's URN, for progress messages", output=False),
    MediaField("title", "text", "up to 255 characters", catalog="title", wire="title", max_length=TEXT_MAX_LENGTH,
               change="in_place", call="update", sent="if_set", read=lambda m, _d: m.get("title") or None),
    MediaField("creator_id", "text", "your own id of the media's creator, up to 255 characters", catalog="creatorId",
               wire="creatorId", max_length=TEXT_MAX_LENGTH, change="in_place", call="update", sent="if_set",
               read=lambda m, _d: m.get("creatorId") or None),
    MediaField("metadata", "metadata", "up to 9 string keys (FastPix allows 10; one is reserved) with values up to "
               "255 characters", catalog="metadata", wire="metadata", python_type="dict[str, str]", default={},
               max_length=TEXT_MAX_LENGTH, change="in_place", call="update", sent="always",
               read=_metadata_without_owner),
    MediaField("access_policy", "enum", "`public`, `private` or `drm` (of the media's first playback id)",
               catalog="accessPolicy", wire="accessPolicy", default="public", choices=ACCESS_POLICIES,
               change="replace", sent="always", read=_access_policy),
    MediaField("drm_configuration_id", "uuid", "with `access_policy=\"drm\"` (required then): the id of one of the "
               "workspace's DRM configurations", catalog="drmConfigurationId", wire="drmConfigurationId",
               change="replace", sent="if_set"),
    MediaField("max_resolution", "enum", "`2160p`, `1440p`, `1080p` (FastPix's default), `720p` or `480p`",
               catalog="maxResolution", wire="maxResolution", default="1080p", choices=MAX_RESOLUTIONS,
               change="replace", sent="always", read=lambda m, d: m.get("maxResolution") or d),
    MediaField("media_quality", "enum", "`standard` (default), `pro` or `premium`", catalog="mediaQuality",
               wire="mediaQuality", default="standard", choices=MEDIA_QUALITIES, change="replace", sent="always",
               read=lambda m, d: m.get("mediaQuality") or d),
    # The live API leaves mp4Support out when it is none (captured get-media and list-media), while the
    # spec lists "none" as a value: absent reads as none, or a dashboard switch-off could never show as
    # drift. POST does not take "none" (only PATCH update-mp4Support does).
    MediaField("mp4_support", "enum", "`none` (default), `capped_4k`, `audioOnly` or `audioOnly,capped_4k`",
               catalog="mp4Support", wire="mp4Support", default="none", choices=MP4_SUPPORT, change="in_place",
               call="mp4_support", sent="unless_default", read=lambda m, _d: m.get("mp4Support") or "none"),
    MediaField("source_access", "bool", "keep the original file downloadable", catalog="sourceAccess",
               wire="sourceAccess", python_type="bool", default=False, change="in_place", call="source_access",
               sent="always", read=lambda m, d: bool(m["sourceAccess"]) if "sourceAccess" in m else d),
    MediaField("optimize_audio", "bool", "normalise the audio while processing", catalog="optimizeAudio",
               wire="optimizeAudio", python_type="bool", default=False, change="replace", sent="always"),
    MediaField("wait_for_ready", "bool", "make `create` wait until FastPix has processed the media (bounded by the "
               "create custom timeout); off by default, as a waiting create holds one of the provider's 4 calls",
               catalog="waitForReady", python_type="bool"),
    MediaField("adopt_id", "uuid", "id of an existing media to take over instead of creating one", catalog="adopt"),
    MediaField("take_over", "bool", "with `adopt_id`: adopt a media even though another stack's owner tag claims it",
               catalog="takeOver", python_type="bool"),
    # Set by Media itself from the resource options, not declared: declaring or dropping retainOnDelete
    # rewrites the owner tag's `!kept` mark, so that `recover` never calls a media kept on purpose an orphan.
    MediaField("retain_on_delete", "bool", "the resource's retainOnDelete option", python_type="bool",
               default=False, change="in_place", call="update", output=False),
)

BY_NAME: dict[str, MediaField] = {f.name: f for f in FIELDS}
BY_CATALOG: dict[str, MediaField] = {f.catalog: f for f in FIELDS if f.catalog}
# The change plan's view.
IN_PLACE: dict[str, str] = {f.name: f.call for f in FIELDS if f.change == "in_place" and f.call}
REPLACE: tuple[str, ...] = tuple(f.name for f in FIELDS if f.change == "replace")
DEFAULTS: dict[str, Any] = {f.name: f.default for f in FIELDS if f.change != "nothing"}
DECLARED = tuple(f for f in FIELDS if f.catalog)  # what a program or a catalog declares

# Naming: how a message names a property, in the program's words or the catalog's.
Naming = Callable[[str], str]


def python_name(name: str) -> str:
    return name


def catalog_name(name: str) -> str:
    field = BY_NAME.get(name)
    return field.catalog if field and field.catalog else name


# -- the generated module: MediaArgs, Media's keyword arguments and outputs ----------------------------

GENERATED = Path(__file__).with_name("_media_inputs.py")


def render_generated() -> str:
    lines = [
        '"""Generated from fastpix_provider/fields.py by `python -m fastpix_provider.fields`: do not edit.',
        "",
        "`MediaInputs` types the keyword arguments of `Media(...)`, `MediaArgs` holds the same for",
        "`Media.from_args`, and `MediaOutputs` declares the outputs a Media resource has.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from dataclasses import dataclass",
        "from typing import TypedDict",
        "",
        "import pulumi",
        "",
        "",
        "class MediaInputs(TypedDict, total=False):",
        '    """The properties of a media (every one optional but exactly one of `url` and `file`, unless `adopt_id`)."""',
        "",
    ]
    for field in DECLARED:
        lines.append(f"    {field.name}: pulumi.Input[{field.python_type}] | None")
        doc = textwrap.wrap(field.doc, width=100)
        lines += [f'    """{doc[0]}', *(f"    {line}" for line in doc[1:])]
        lines[-1] += '"""'
    lines += ["", "", "@dataclass", "class MediaArgs:", '    """The declared properties of a media; see `Media`."""', ""]
    for field in DECLARED:
        lines.append(f"    {field.name}: pulumi.Input[{field.python_type}] | None = None")
    lines += ["", "", "class MediaOutputs:",
              '    """The outputs of a Media resource: its declared properties and what FastPix computes."""', ""]
    for field in FIELDS:
        if field.output:
            lines.append(f"    {field.name}: pulumi.Output[{field.python_type} | None]")
    for name, python_type in COMPUTED:
        lines.append(f"    {name}: pulumi.Output[{python_type}]")
    return "\n".join(lines) + "\n"


# Outputs the provider computes from FastPix's answers (never declared).
COMPUTED: tuple[tuple[str, str], ...] = (
    ("media_id", "str"),
    ("status", "str"),
    ("playback_ids", "list[dict[str, str]]"),
    ("playback_url", "str | None"),
    ("thumbnail_url", "str | None"),
    ("duration", "str | None"),
    ("created_at", "str"),
    ("owner_tag", "str | None"),
    ("workspace_id", "str | None"),
    ("upload_id", "str | None"),
)
COMPUTED_OUTPUTS: tuple[str, ...] = tuple(name for name, _ in COMPUTED)


def main() -> int:
    GENERATED.write_text(render_generated(), encoding="utf-8")
    print(f"wrote {GENERATED.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
