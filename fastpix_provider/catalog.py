"""The media catalog: a YAML map from a stable key to one media's properties.

    intro:
      url: https://example.com/intro.mp4
      title: Introduction
      metadata: {team: marketing}
      protect: true            # Pulumi refuses to delete it
    legacy-trailer:
      url: https://example.com/trailer.mp4
      adopt: 4fa85f64-5717-4562-b3fc-2c963f66afa6   # take over an existing media
      retainOnDelete: true     # removing the entry forgets the media, FastPix keeps it

Property names are FastPix's own (camelCase, as in its API). `load_catalog` reports every problem at
once, each with the file, the key and how to fix it, and never touches FastPix or Pulumi.

The catalog is plain YAML on purpose: anchors, aliases and merge keys (`&a`, `*a`, `<<`) are refused
(a few hundred bytes of nested aliases expand to millions of values), so is a key given twice at any
level (YAML would silently keep the last one), a file over 5 MiB, and nesting deeper than 32 levels.
Every value a message quotes is cut to 80 characters.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import children, media
from ._text import echo, shorten
from .fields import DECLARED, catalog_name

# catalog property -> Media argument, from the field table
PROPERTIES = {f.catalog: f.name for f in DECLARED if f.catalog}
OPTIONS = ("protect", "retainOnDelete")
BOOLEANS = (*OPTIONS, *(f.catalog for f in DECLARED if f.catalog and f.kind == "bool"))
# libyaml's safe loader parses a 500-entry catalog in a tenth of the pure-Python one's 0.7 s.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_FILE_BYTES = 5 * 1024 * 1024  # a 500-entry catalog is about 60 KiB
MAX_FILE_SIZE_TEXT = "5 MiB"
MAX_DEPTH = 32  # the catalog itself needs 6 (entries, properties, playbackIds, item, domains, allow)
PROBLEM_LIMIT = 400  # characters of one problem, value included
PROBLEMS_SHOWN = 100  # problems listed in the message; all of them stay in CatalogError.problems
_MERGE_TAG = "tag:yaml.org,2002:merge"

class CatalogError(ValueError):
    """The catalog cannot be used; the message lists every problem found."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = [shorten(problem, PROBLEM_LIMIT) for problem in problems]
        shown = [f"  - {problem}" for problem in self.problems[:PROBLEMS_SHOWN]]
        if len(problems) > PROBLEMS_SHOWN:
            shown.append(f"  - ... and {len(problems) - PROBLEMS_SHOWN} more; fix these first")
        listing = "\n".join(shown)
        super().__init__(f"{path}: {len(problems)} problem(s) in the media catalog:\n{listing}")


@dataclass(frozen=True)
class CatalogEntry:
    key: str
    args: dict[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    # The media's children (children.py), each list in catalog order.
    subtitles: tuple[ChildEntry, ...] = ()
    audio_tracks: tuple[ChildEntry, ...] = ()
    playback_ids: tuple[ChildEntry, ...] = ()


@dataclass(frozen=True)
class ChildEntry:
    """One item of a media's `subtitles`, `audioTracks` or `playbackIds`: its key and the resource's arguments."""

    key: str
    args: dict[str, Any]


def load_catalog(path: str | Path) -> list[CatalogEntry]:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CatalogError(str(path), [_too_large(size)])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(str(path), ["the file does not exist; create it or point `catalog` config at it"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(str(path), [f"the file cannot be read: {shorten(str(exc), 200)}"]) from None
    return parse_catalog(text, str(path))


def parse_catalog(text: str, source: str = "media.yaml") -> list[CatalogEntry]:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise CatalogError(source, [_too_large(size)])
    try:
        # First the event stream, which is never expanded: aliases, duplicate keys and depth are
        # judged before any data is built. Then the C safe loader builds the data, at full speed.
        problems = structure_problems(text)
        if problems:
            raise CatalogError(source, problems)
        document = yaml.load(text, Loader=SAFE_LOADER)  # a safe loader: the C one where libyaml is built
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        reason = shorten(str(getattr(exc, "problem", None) or exc), 200)
        raise CatalogError(source, [f"not valid YAML{at}: {reason}"]) from None
    if document is None:
        return []
    if not isinstance(document, dict):
        raise CatalogError(source, [f"the catalog must be a map from media key to properties, not a {_kind(document)}"])
    entries: list[CatalogEntry] = []
    problems = []
    for key, raw in document.items():
        entry_problems: list[str] = []
        entry = _parse_entry(key, raw, entry_problems)
        problems.extend(entry_problems)
        if entry is not None and not entry_problems:
            entries.append(entry)
    if problems:
        raise CatalogError(source, problems)
    return entries


def _too_large(size: int) -> str:
    return (f"the file is {size / 1024 / 1024:.1f} MiB; a catalog may be at most {MAX_FILE_SIZE_TEXT} "
            f"(about 40,000 entries): split the library into several stacks")


@dataclass
class _Collection:
    """A map or list being read from the event stream."""

    path: str  # dotted key path of this collection, "" for the document's top level
    is_map: bool
    keys: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # (tag, key) -> where first given
    expecting_key: bool = True
    key: str = ""  # the key whose value comes next

    def child_path(self) -> str:
        """The path of the value that starts now (before the event that starts it is counted)."""
        if self.is_map and not self.expecting_key:
            return ".".join(part for part in (self.path, shorten(self.key, 40)) if part)
        return self.path


def structure_problems(text: str) -> list[str]:
    """Anchors, aliases, merge keys, keys given twice and too deep nesting, from YAML's events alone.

    The events are never expanded, so an alias bomb costs what its text costs. Raises yaml.YAMLError
    when the text is not YAML at all.
    """
    problems: list[str] = []
    anchors: dict[str, tuple[str, int]] = {}  # anchor -> (path, line)
    aliases: dict[str, list[int]] = {}  # anchor -> lines of its aliases
    open_: list[_Collection] = []
    loader = SAFE_LOADER(text)
    try:
        while True:
            event = loader.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            if isinstance(event, yaml.CollectionEndEvent):
                open_.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue  # stream and document boundaries
            mark = event.start_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            parent = open_[-1] if open_ else None
            path = parent.child_path() if parent else ""
            if isinstance(event, yaml.AliasEvent):
                aliases.setdefault(str(event.anchor), []).append(line)
            elif event.anchor is not None:
                anchors.setdefault(str(event.anchor), (path, line))
            if parent is not None and parent.is_map:
                if parent.expecting_key:
                    parent.expecting_key = False
                    parent.key = event.value if isinstance(event, yaml.ScalarEvent) else "?"
                    if isinstance(event, yaml.ScalarEvent):
                        _check_key(loader, event, parent, (line, column), problems)
                else:
                    parent.expecting_key = True
            if isinstance(event, yaml.CollectionStartEvent):
                open_.append(_Collection(path=path, is_map=isinstance(event, yaml.MappingStartEvent)))
                if len(open_) > MAX_DEPTH:
                    problems.append(f"{path or 'the catalog'}: line {line}: nested deeper than {MAX_DEPTH} levels; "
                                    f"a catalog needs 6 (media key, property, playbackIds, item, domains, allow)")
                    break
    finally:
        loader.dispose()
    found = []
    for name in dict.fromkeys([*anchors, *aliases]):
        used = aliases.get(name, [])
        shown = shorten(name, 40)
        if name not in anchors:
            found.append(f"line {used[0]}: the YAML alias `*{shown}` (it names no anchor); anchors and aliases "
                         f"are not allowed in the catalog: write each value out in full")
            continue
        path, line = anchors[name]
        uses = f", repeated by {len(used)} alias(es) `*{shown}` at {_lines(used)}" if used else ""
        found.append(f"{path + ': ' if path else ''}line {line}: the YAML anchor `&{shown}`{uses}; anchors and "
                     f"aliases are not allowed in the catalog: write each value out in full")
    return found + problems


def _lines(lines: list[int], shown: int = 5) -> str:
    distinct = list(dict.fromkeys(lines))
    text = ", ".join(str(line) for line in distinct[:shown])
    return f"line(s) {text}" + (f" and {len(distinct) - shown} more lines" if len(distinct) > shown else "")


def _check_key(loader: Any, event: Any, parent: _Collection, where: tuple[int, int], problems: list[str]) -> None:
    tag = event.tag if event.tag and event.tag != "!" else loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    name = ".".join(part for part in (parent.path, shorten(event.value, 40)) if part)
    if tag == _MERGE_TAG:
        problems.append(f"{name}: line {where[0]}: YAML merge keys (`<<`) are not allowed in the catalog; "
                        f"write the properties out")
        return
    first = parent.keys.get((tag, event.value))
    if first is None:
        parent.keys[(tag, event.value)] = where
        return
    if first[0] == where[0]:
        at = f"twice on line {where[0]} (columns {first[1]} and {where[1]})"
    else:
        at = f"twice, at lines {first[0]} and {where[0]}"
    what = "the media key is" if not parent.path else "the property is"
    problems.append(f"{name}: {what} given {at}; YAML would silently keep only the last: keep one")


def _parse_entry(key: Any, raw: Any, problems: list[str]) -> CatalogEntry | None:
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        problems.append(f"{echo(key)}: a media key must be 1-100 letters, digits, '.', '_' or '-', "
                        f"starting with a letter or digit")
        return None
    if not isinstance(raw, dict):
        problems.append(f"{key}: expected a map of properties (at least `url`), got a {_kind(raw)}")
        return None
    args: dict[str, Any] = {}
    for name, value in raw.items():
        if name in PROPERTIES:
            args[PROPERTIES[name]] = value
        elif name not in OPTIONS and name not in CHILD_LISTS:
            known = [*PROPERTIES, *OPTIONS, *CHILD_LISTS]
            close = difflib.get_close_matches(str(name)[:40], known, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else f"; known properties: {', '.join(known)}"
            problems.append(f"{key}: unknown property `{shorten(str(name), 40)}`{hint}")
    for option in BOOLEANS:
        if option in raw and not isinstance(raw[option], bool):
            problems.append(f"{key}.{option}: must be true or false, got {echo(raw[option])}")
            args.pop(PROPERTIES.get(option, option), None)
    if "adopt" in raw and not isinstance(raw["adopt"], str):
        problems.append(f"{key}.adopt: must be the id of an existing FastPix media (a UUID string)")
        args.pop("adopt_id", None)
    for failure in media.check_inputs(args):
        problems.append(f"{key}.{shorten(failure.named(catalog_name), 60)}: {failure.message(catalog_name)}")
    children = {name: _parse_children(key, name, raw[name], problems) for name in CHILD_LISTS if name in raw}
    _check_generated_sources(key, children, problems)
    return CatalogEntry(
        key=key,
        args=args,
        protect=raw.get("protect") is True,
        retain_on_delete=raw.get("retainOnDelete") is True,
        raw=raw,
        subtitles=children.get("subtitles", ()),
        audio_tracks=children.get("audioTracks", ()),
        playback_ids=children.get("playbackIds", ()),
    )


# -- a media's children: subtitles, audioTracks, playbackIds -------------------------------------------

# list -> (what an item is, its properties: catalog name -> argument of Track / PlaybackId)
_TRACK_PROPERTIES = {f.catalog: f.name for f in children.TRACK_FIELDS if f.catalog and f.catalog != "type"}
CHILD_LISTS: dict[str, tuple[str, dict[str, str]]] = {
    "subtitles": ("subtitle track", _TRACK_PROPERTIES),
    "audioTracks": ("audio track", {k: v for k, v in _TRACK_PROPERTIES.items() if k != "audioTrack"}),
    "playbackIds": ("playback id", {f.catalog: f.name for f in children.PLAYBACK_ID_FIELDS if f.catalog}),
}
_CHILD_HINTS = {
    "type": "the list says it: subtitles hold subtitle tracks, audioTracks audio tracks",
    "closedCaptions": "FastPix's on-demand tracks have no closed-captions flag (only live streams do); "
                      "declare caption files as subtitles",
    "accessRestrictions": "write its `domains` and `userAgents` directly under the playback id",
}


def _parse_children(key: str, name: str, raw: Any, problems: list[str]) -> tuple[ChildEntry, ...]:
    what, properties = CHILD_LISTS[name]
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"{key}.{name}: must be a list of {what}s, each a map with a `key`, got a {_kind(raw)}")
        return ()
    parsed: list[ChildEntry] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        where = f"{key}.{name}[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a map with a `key` and the {what}'s properties, got a {_kind(item)}")
            continue
        child_key = item.get("key")
        if not isinstance(child_key, str) or not KEY_PATTERN.match(child_key):
            problems.append(f"{where}: `key` must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or "
                            f"digit (a stable name: changing it replaces the {what}); got {echo(child_key)}")
            continue
        where = f"{key}.{name}[{child_key}]"
        if child_key in seen:
            problems.append(f"{where}: the key is given twice in {name} (items {seen[child_key]} and {index}); "
                            f"keys must be unique in the list")
            continue
        seen[child_key] = index
        before = len(problems)
        args = _child_args(where, what, properties, item, problems)
        inputs = {**args, "media_id": media.UNKNOWN}
        if name == "playbackIds":
            failures = children.check_playback_id(inputs)
        else:
            failures = children.check_track({**inputs, "type": "audio" if name == "audioTracks" else "subtitle"})
        for failure in failures:
            named = shorten(children.child_catalog_name(failure.property), 60)
            problems.append(f"{where}.{named}: {failure.message(children.child_catalog_name)}")
        if len(problems) == before:
            parsed.append(ChildEntry(child_key, args))
    _check_twins(key, name, parsed, problems)
    return tuple(parsed)


def _child_args(where: str, what: str, properties: dict[str, str], item: dict[str, Any],
                problems: list[str]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for prop, value in item.items():
        if prop == "key":
            continue
        if prop in properties:
            args[properties[prop]] = _rules_args(value) if prop in ("domains", "userAgents") else value
            continue
        label = shorten(str(prop), 40)
        if prop in _CHILD_HINTS:
            problems.append(f"{where}: `{label}` is not a {what} property: {_CHILD_HINTS[str(prop)]}")
            continue
        known = ["key", *properties]
        close = difflib.get_close_matches(str(prop)[:40], known, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else f"; known properties: {', '.join(known)}"
        problems.append(f"{where}: unknown {what} property `{label}`{hint}")
    return args


def _rules_args(value: Any) -> Any:
    """`{defaultPolicy, allow, deny}` as PlaybackId takes it (`default_policy`); other keys are left for the check."""
    if not isinstance(value, dict):
        return value
    names = {catalog: python for python, catalog in children.RULE_KEYS.items()}
    return {names.get(k, k): v for k, v in value.items()}


def _check_twins(key: str, name: str, parsed: list[ChildEntry], problems: list[str]) -> None:
    """Two children of one media that FastPix would show alike: a lost create could not tell them apart."""
    first: dict[Any, str] = {}
    for child in parsed:
        args = child.args
        if name == "playbackIds":
            rules = tuple(repr(sorted((children.normalized_rules(args.get(r) or {}) or {}).items()))
                          for r in ("domains", "user_agents"))
            signature: Any = (args.get("access_policy"), *rules)
            alike = "the same access policy and restrictions"
        else:
            signature = (args.get("language_code"), args.get("language_name"))
            alike = "the same languageCode and languageName"
        if signature in first:
            problems.append(f"{key}.{name}[{child.key}]: has {alike} as [{first[signature]}]; players could not tell "
                            "them apart: remove one, or give it another languageName" if name != "playbackIds" else
                            f"{key}.{name}[{child.key}]: has {alike} as [{first[signature]}]: one playback id serves "
                            "both; remove one")
        else:
            first[signature] = child.key


def _check_generated_sources(key: str, lists: dict[str, tuple[ChildEntry, ...]], problems: list[str]) -> None:
    """`audioTrack` of generated subtitles names an item of the same media's audioTracks."""
    audio = {child.key for child in lists.get("audioTracks", ())}
    for child in lists.get("subtitles", ()):
        named = child.args.get("audio_track_id")
        if named is not None and named not in audio:
            choices = ", ".join(sorted(audio)) if audio else "none: add one under audioTracks, or remove audioTrack"
            problems.append(f"{key}.subtitles[{child.key}].audioTrack: {echo(named)} is not the key of one of "
                            f"{key}'s audioTracks ({choices})")


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), type(value).__name__)
