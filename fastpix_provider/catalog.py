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

from . import media
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
MAX_DEPTH = 32  # the catalog itself needs 3 (entries, properties, metadata)
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
                                    f"a catalog needs 3 (media key, property, metadata)")
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
        elif name not in OPTIONS:
            known = [*PROPERTIES, *OPTIONS]
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
    return CatalogEntry(
        key=key,
        args=args,
        protect=raw.get("protect") is True,
        retain_on_delete=raw.get("retainOnDelete") is True,
        raw=raw,
    )


def _kind(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(type(value), type(value).__name__)
