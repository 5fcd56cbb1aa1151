"""The rules of what hangs off a media: subtitle and audio tracks, and extra playback ids.

A small field table per resource (Python name, catalog name as FastPix spells it, what a change does,
which PATCH call makes it in place) and pure functions over plain dicts: validation that names each
field in the reader's words (`check_track`, `check_playback_id`, rendered with `python_name` or
`child_catalog_name`), the change plans, the request bodies, how a refresh observes a child, and how a
child the media lists is recognised after a lost create. Nothing here talks to FastPix or imports
Pulumi: the catalog uses it as it is, the resources and providers in tracks.py and playback_ids.py
build on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from ._text import echo
from .fields import ACCESS_POLICIES, python_name
from .media import ChangePlan, Failure, differs, is_unknown

__all__ = [
    "PLAYBACK_ID_FIELDS", "TRACK_FIELDS", "ChildField", "ChildPlan", "check_playback_id", "check_track",
    "child_catalog_name", "plan_playback_id", "plan_track", "python_name",
]

TRACK_TYPES = ("subtitle", "audio")
TRACK_SOURCES = ("url", "generated")
DEFAULT_POLICIES = ("allow", "deny")
RESOLUTIONS = ("480p", "720p", "1080p", "1440p", "2160p")
# Added tracks: a BCP 47 tag (the spec's examples and the live answers say "it", "en", "fr").
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")
# Generated subtitles: the spec's LanguageCode enum (TrackSubtitlesGenerateRequest), languages with a region.
GENERATED_LANGUAGE_CODES = (
    "ar-SA bn-BD bn-IN ca-ES cs-CZ da-DK de-AT de-CH de-DE el-GR en-AU en-CA en-GB en-IE en-IN en-NZ en-US "
    "en-ZA es-AR es-CL es-CO es-ES es-MX es-US fi-FI fr-BE fr-CA fr-CH fr-FR he-IL hi-IN hr-HR hu-HU id-ID "
    "it-CH it-IT ja-JP ko-KR ms-MY nb-NO nl-BE nl-NL no-NO pl-PL pt-BR pt-PT ro-RO ru-RU sk-SK sv-SE ta-IN "
    "ta-LK te-IN th-TH tr-TR uk-UA vi-VN bg-BG zh-CN zh-HK zh-TW"
).split()
RULE_KEYS = {"default_policy": "defaultPolicy", "allow": "allow", "deny": "deny"}
OPEN_RULES: dict[str, Any] = {"default_policy": "allow", "allow": [], "deny": []}

Change = Literal["in_place", "replace"]
Naming = Callable[[str], str]


@dataclass(frozen=True)
class ChildField:
    """One property of a track or playback id: its Python name, its catalog (FastPix) name, what a change
    of it does, and which PATCH call changes it in place."""

    name: str
    kind: str  # id | enum | url | language | text | rules | uuid
    doc: str
    catalog: str | None = None  # None: set by the program (the media's id), not a catalog property
    choices: tuple[str, ...] = ()
    default: Any = None
    change: Change = "replace"
    call: str | None = None  # track: update; playback id: domains | user_agents


# Evidence for each `change` (../shared/fastpix-api): update-media-track PATCHes url, languageCode and
# languageName, all three required (UpdateTrackRequest; captured update-media-track.raw.json changed the
# language of an audio track in place); nothing changes a track's type or what it was made from.
TRACK_FIELDS: tuple[ChildField, ...] = (
    ChildField("media_id", "id", "id of the media the track belongs to"),
    ChildField("type", "enum", "`subtitle` or `audio`", catalog="type", choices=TRACK_TYPES),
    ChildField("source", "enum", "`url` (default): FastPix downloads the file at `url`; `generated`: FastPix "
               "writes subtitles from an audio track by speech recognition", catalog="source", choices=TRACK_SOURCES,
               default="url"),
    ChildField("url", "url", "public http(s) URL of the subtitle (SRT, VTT) or audio file", catalog="url",
               change="in_place", call="update"),
    ChildField("language_code", "language", "BCP 47 language code, e.g. `en` or `fr-CA` (generated subtitles: one "
               "of FastPix's codes with a region, e.g. `en-US`)", catalog="languageCode", change="in_place",
               call="update"),
    ChildField("language_name", "text", "the language's name as players list it, e.g. `English`",
               catalog="languageName", change="in_place", call="update"),
    ChildField("audio_track_id", "id", "with source generated: the audio track to transcribe (default: the media's "
               "first audio track)", catalog="audioTrack"),
)

# create-media-playback-id takes accessPolicy, accessRestrictions, drmConfigurationId and resolution;
# update-domain-restrictions and update-user-agent-restrictions PATCH one rule set each (captured
# update-*-restrictions.raw.json); nothing PATCHes the policy or the resolution.
PLAYBACK_ID_FIELDS: tuple[ChildField, ...] = (
    ChildField("media_id", "id", "id of the media the playback id plays"),
    ChildField("access_policy", "enum", "`public`, `private` (needs a signed token) or `drm`", catalog="accessPolicy",
               choices=ACCESS_POLICIES),
    ChildField("drm_configuration_id", "uuid", "with access_policy drm (required then): one of the workspace's DRM "
               "configurations", catalog="drmConfigurationId"),
    ChildField("resolution", "enum", "the highest resolution it plays: `480p` to `2160p`", catalog="resolution",
               choices=RESOLUTIONS),
    ChildField("domains", "rules", "which sites may play it: default_policy `allow` or `deny`, and allow and deny "
               "lists of domains", catalog="domains", default=OPEN_RULES, change="in_place", call="domains"),
    ChildField("user_agents", "rules", "which players may play it: default_policy `allow` or `deny`, and allow and "
               "deny lists of user-agent substrings", catalog="userAgents", default=OPEN_RULES, change="in_place",
               call="user_agents"),
)

_CATALOG_NAMES = {f.name: f.catalog for f in (*TRACK_FIELDS, *PLAYBACK_ID_FIELDS) if f.catalog} | RULE_KEYS


def child_catalog_name(name: str) -> str:
    """A property's name as the catalog (and FastPix) spells it: `domains.default_policy` -> `domains.defaultPolicy`."""
    return ".".join(_CATALOG_NAMES.get(part, part) for part in name.split("."))


Fail = Callable[[str, Callable[[Naming], str]], None]


def _collector() -> tuple[list[Failure], Fail]:
    failures: list[Failure] = []

    def fail(prop: str, render: Callable[[Naming], str]) -> None:
        failures.append(Failure(prop, render))

    return failures, fail


def _check_required(inputs: Mapping[str, Any], fields: Sequence[ChildField], names: Sequence[str], fail: Fail) -> None:
    by_name = {f.name: f for f in fields}
    for name in names:
        if inputs.get(name) in (None, "") and not is_unknown(inputs.get(name)):
            fail(name, _says("{} is required: " + by_name[name].doc.replace("{", "{{").replace("}", "}}"), name))


def _says(template: str, *names: str) -> Callable[[Naming], str]:
    """A message whose `{}` places are property names, rendered in the reader's words (no loop variable captured)."""
    return lambda n: template.format(*(n(name) for name in names))


def _braced(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _check_choice(inputs: Mapping[str, Any], field: ChildField, fail: Fail) -> None:
    value = inputs.get(field.name)
    if value is None or is_unknown(value) or value in field.choices:
        return
    fail(field.name, lambda n: f"{n(field.name)} must be one of {', '.join(field.choices)}; got {echo(value)}")


def _check_url(name: str, value: Any, fail: Fail) -> None:
    if value is None or value == "" or is_unknown(value):
        return
    if not isinstance(value, str):
        fail(name, lambda n: f"{n(name)} must be a string, got {echo(value)}")
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        fail(name, lambda n: f"{n(name)} must be an http:// or https:// address with a host, got {echo(value)}")


def _check_text(name: str, value: Any, fail: Fail) -> None:
    if value is not None and not is_unknown(value) and not isinstance(value, str):
        fail(name, lambda n: f"{n(name)} must be a string, got {echo(value)}")


# -- tracks ------------------------------------------------------------------------------------------

TRACK_BY_NAME = {f.name: f for f in TRACK_FIELDS}


def check_track(inputs: Mapping[str, Any]) -> list[Failure]:
    """Every problem of a declared track at once, before any call to FastPix."""
    failures, fail = _collector()
    source = inputs.get("source") or "url"
    generated = source == "generated"
    _check_required(inputs, TRACK_FIELDS, ("media_id", "type", "language_code", "language_name"), fail)
    for name in ("type", "source"):
        _check_choice(inputs, TRACK_BY_NAME[name], fail)
    for name in ("media_id", "language_code", "language_name", "audio_track_id"):
        _check_text(name, inputs.get(name), fail)
    url = inputs.get("url")
    if generated:
        if url not in (None, ""):
            fail("url", lambda n: f"{n('url')} does not apply to {n('source')} generated (FastPix writes the subtitles "
                                  f"itself): remove {n('url')}, or remove {n('source')} to add the file at {n('url')}")
        if inputs.get("type") == "audio":
            fail("source", lambda n: f"{n('source')} generated makes subtitles only: FastPix cannot generate an audio "
                                     "track")
    elif not is_unknown(source):  # a source a preview cannot know: what depends on it is judged at `up`
        if url in (None, "") and source in TRACK_SOURCES:
            fail("url", lambda n: f"{n('url')} is required: the public http(s) address FastPix downloads the "
                                  "subtitle or audio file from")
        _check_url("url", url, fail)
        if inputs.get("audio_track_id") is not None:
            fail("audio_track_id", lambda n: f"{n('audio_track_id')} applies to {n('source')} generated only: remove "
                                             f"it, or set {n('source')} to generated")
    code = inputs.get("language_code")
    if isinstance(code, str) and code and not is_unknown(code):
        if generated and code not in GENERATED_LANGUAGE_CODES:
            close = [c for c in GENERATED_LANGUAGE_CODES if c.split("-")[0].lower() == code.split("-")[0].lower()]
            hint = f" (for this language: {', '.join(close[:6])})" if close else ""
            fail("language_code", lambda n: f"{n('language_code')} {echo(code)} is not one FastPix generates subtitles "
                                            f"in: use a code with a region, e.g. en-US{hint}")
        elif not generated and not LANGUAGE_TAG.match(code):
            fail("language_code", lambda n: f"{n('language_code')} must be a BCP 47 language code such as en, fr or "
                                            f"pt-BR; got {echo(code)}")
    return failures


# The same plan as a media's: the fields that differ, which force a replace, which calls.
ChildPlan = ChangePlan


def _with_defaults(inputs: Mapping[str, Any], fields: Sequence[ChildField]) -> dict[str, Any]:
    values = dict(inputs)
    for field in fields:
        if values.get(field.name) is None:
            values[field.name] = field.default
        if field.kind == "rules" and not is_unknown(values[field.name]):
            values[field.name] = normalized_rules(values[field.name])
    return values


def _plan(olds: Mapping[str, Any], news: Mapping[str, Any], fields: Sequence[ChildField],
          in_place_allowed: bool) -> ChildPlan:
    old, new = _with_defaults(olds, fields), _with_defaults(news, fields)
    changed = tuple(f.name for f in fields if differs(old.get(f.name), new.get(f.name)))
    by_name = {f.name: f for f in fields}
    replaces = tuple(n for n in changed if by_name[n].change == "replace" or not in_place_allowed)
    calls = tuple(dict.fromkeys(str(by_name[n].call) for n in changed if n not in replaces and by_name[n].call))
    return ChildPlan(changed, replaces, calls)


def plan_track(olds: Mapping[str, Any], news: Mapping[str, Any]) -> ChildPlan:
    """URL, language code and name change in place (PATCH .../tracks/{id}), except on a generated track: that
    PATCH needs a url, which generated subtitles have none of, so there they replace the track."""
    generated = (news.get("source") or "url") == "generated"
    return _plan(olds, news, TRACK_FIELDS, in_place_allowed=not generated)


def track_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The `tracks` object of POST .../tracks (AddTrackRequest)."""
    return {"url": inputs["url"], "type": inputs["type"], "languageCode": inputs["language_code"],
            "languageName": inputs["language_name"]}


def track_update_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """PATCH .../tracks/{id} (UpdateTrackRequest): all three, always."""
    return {"url": inputs["url"], "languageCode": inputs["language_code"], "languageName": inputs["language_name"]}


def generate_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {"languageCode": inputs["language_code"], "languageName": inputs["language_name"]}


def track_matches(inputs: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """How a track the media lists is recognised as the declared one (the media lists no track url)."""
    def matches(item: Mapping[str, Any]) -> bool:
        return (item.get("type") == inputs.get("type") and item.get("languageCode") == inputs.get("language_code")
                and item.get("languageName") == inputs.get("language_name"))
    return matches


def observed_track(item: Mapping[str, Any], declared: Mapping[str, Any]) -> dict[str, Any]:
    """A track as the media lists it, in input form; the url is not listed, so the declared one stands."""
    observed = dict(declared)
    for name, wire in (("type", "type"), ("language_code", "languageCode"), ("language_name", "languageName")):
        if isinstance(item.get(wire), str):
            observed[name] = item[wire]
    return observed


# -- playback ids ------------------------------------------------------------------------------------

PLAYBACK_BY_NAME = {f.name: f for f in PLAYBACK_ID_FIELDS}


def normalized_rules(value: Any) -> Any:
    """A rule set with FastPix's defaults filled in (allow, [], []); anything malformed is returned as is."""
    if not isinstance(value, Mapping):
        return value
    rules = {**OPEN_RULES, **{k: v for k, v in value.items() if v is not None}}
    for key in ("allow", "deny"):
        if isinstance(rules[key], list | tuple):
            rules[key] = list(rules[key])
    return rules


def _check_rules(name: str, value: Any, fail: Fail) -> None:
    what = "domain" if name == "domains" else "user-agent substring"
    if value is None or is_unknown(value):
        return
    if not isinstance(value, Mapping):
        fail(name, lambda n: f"{n(name)} must be a map with {n('default_policy')}, {n('allow')} and {n('deny')}, "
                             f"got {echo(value)}")
        return
    for key in value:
        if key not in RULE_KEYS:
            fail(name, _says(f"{{}} has the unknown key {_braced(echo(key))}; known keys: {{}}, {{}}, {{}}", name,
                             "default_policy", "allow", "deny"))
    rules = normalized_rules(value)
    policy = rules["default_policy"]
    if not is_unknown(policy) and policy not in DEFAULT_POLICIES:
        fail(f"{name}.default_policy", lambda n: f"{n(name + '.default_policy')} must be allow or deny; got {echo(policy)}")
    entries: dict[str, list[str]] = {}
    for key in ("allow", "deny"):
        items = rules[key]
        prop = f"{name}.{key}"
        if is_unknown(items):
            continue
        if not isinstance(items, list) or not all(is_unknown(i) or (isinstance(i, str) and i.strip()) for i in items):
            fail(prop, _says(f"{{}} must be a list of non-empty strings, got {_braced(echo(items))}", prop))
            continue
        items = [i for i in items if not is_unknown(i)]  # an item a preview cannot know is judged at `up`
        entries[key] = items
        for item in items:
            if name == "domains" and ("://" in item or "/" in item or any(c.isspace() for c in item)):
                fail(prop, _says(f"{{}}: {_braced(echo(item))} is not a domain: write the host alone, e.g. "
                                 "example.com or *.example.com", prop))
        doubled = sorted({i for i in items if items.count(i) > 1})
        if doubled:
            fail(prop, _says(f"{{}} lists {_braced(echo(doubled[0]))} twice; keep one", prop))
    both = sorted(set(entries.get("allow", [])) & set(entries.get("deny", [])))
    if both:
        fail(name, lambda n: f"{n(name)} both allows and denies {echo(both[0])}: keep it in one list")
    # A list the default already covers does nothing: the declaration cannot mean what it says.
    if policy == "allow" and entries.get("allow"):
        fail(f"{name}.allow", lambda n: f"{n(name + '.allow')} lists {what}s, but {n(name + '.default_policy')} allow "
                                        f"already lets every {what} play: set {n(name + '.default_policy')} to deny to "
                                        f"let only these play, or remove {n(name + '.allow')}")
    if policy == "deny" and entries.get("deny"):
        fail(f"{name}.deny", lambda n: f"{n(name + '.deny')} lists {what}s, but {n(name + '.default_policy')} deny "
                                       f"already refuses every {what} not allowed: remove {n(name + '.deny')}, or set "
                                       f"{n(name + '.default_policy')} to allow to refuse only these")


def check_playback_id(inputs: Mapping[str, Any]) -> list[Failure]:
    """Every problem of a declared playback id at once, before any call to FastPix."""
    failures, fail = _collector()
    _check_required(inputs, PLAYBACK_ID_FIELDS, ("media_id", "access_policy"), fail)
    _check_text("media_id", inputs.get("media_id"), fail)
    for name in ("access_policy", "resolution"):
        _check_choice(inputs, PLAYBACK_BY_NAME[name], fail)
    policy, drm_id = inputs.get("access_policy"), inputs.get("drm_configuration_id")
    if policy == "drm" and drm_id in (None, ""):
        fail("drm_configuration_id", lambda n: f"{n('access_policy')} drm needs {n('drm_configuration_id')}, the id of "
                                               "one of the workspace's DRM configurations")
    if drm_id is not None and not is_unknown(drm_id):
        if policy != "drm" and not is_unknown(policy):
            fail("drm_configuration_id", lambda n: f"{n('drm_configuration_id')} applies to {n('access_policy')} drm "
                                                   f"only: remove it, or set {n('access_policy')} to drm")
        if not isinstance(drm_id, str) or not re.fullmatch(r"[0-9a-fA-F-]{36}", drm_id):
            fail("drm_configuration_id", lambda n: f"{n('drm_configuration_id')} must be the id (a UUID) of one of the "
                                                   f"workspace's DRM configurations, got {echo(drm_id)}")
    for name in ("domains", "user_agents"):
        _check_rules(name, inputs.get(name), fail)
    return failures


def plan_playback_id(olds: Mapping[str, Any], news: Mapping[str, Any]) -> ChildPlan:
    """Domains and user agents change in place (one PATCH each); policy, DRM configuration, resolution replace."""
    return _plan(olds, news, PLAYBACK_ID_FIELDS, in_place_allowed=True)


def wire_rules(rules: Any) -> dict[str, Any]:
    values = normalized_rules(rules or OPEN_RULES)
    return {"defaultPolicy": values["default_policy"], "allow": list(values["allow"]), "deny": list(values["deny"])}


def playback_id_body(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """POST .../playback-ids: the policy, both rule sets always (so FastPix matches the declaration), the rest if set."""
    body: dict[str, Any] = {
        "accessPolicy": inputs["access_policy"],
        "accessRestrictions": {"domains": wire_rules(inputs.get("domains")),
                               "userAgents": wire_rules(inputs.get("user_agents"))},
    }
    if inputs.get("drm_configuration_id"):
        body["drmConfigurationId"] = inputs["drm_configuration_id"]
    if inputs.get("resolution"):
        body["resolution"] = inputs["resolution"]
    return body


def _rules_from_wire(wire: Any, declared: Any) -> Any:
    """FastPix's rule set in input form; the declared form where they say the same (list order aside)."""
    if not isinstance(wire, Mapping):
        return declared
    observed = normalized_rules({"default_policy": wire.get("defaultPolicy"), "allow": wire.get("allow") or [],
                                 "deny": wire.get("deny") or []})
    mine = normalized_rules(declared or OPEN_RULES)
    if isinstance(mine, dict) and _same_rules(mine, observed):
        return declared
    return observed


def _same_rules(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return bool(a.get("default_policy") == b.get("default_policy")
                and sorted(map(str, a.get("allow") or [])) == sorted(map(str, b.get("allow") or []))
                and sorted(map(str, a.get("deny") or [])) == sorted(map(str, b.get("deny") or [])))


def playback_id_matches(inputs: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """How a playback id the media lists is recognised as the declared one: policy and both rule sets."""
    def matches(item: Mapping[str, Any]) -> bool:
        restrictions = item.get("accessRestrictions") or {}
        if item.get("accessPolicy") != inputs.get("access_policy") or not isinstance(restrictions, Mapping):
            return False
        for name, wire in (("domains", "domains"), ("user_agents", "userAgents")):
            observed = _rules_from_wire(restrictions.get(wire), None)
            if not isinstance(observed, Mapping) or not _same_rules(normalized_rules(inputs.get(name) or OPEN_RULES),
                                                                     observed):
                return False
        return True
    return matches


def observed_playback_id(item: Mapping[str, Any], declared: Mapping[str, Any]) -> dict[str, Any]:
    """A playback id as FastPix shows it, in input form (the resolution is not shown: the declared one stands)."""
    observed = dict(declared)
    if isinstance(item.get("accessPolicy"), str):
        observed["access_policy"] = item["accessPolicy"]
    restrictions = item.get("accessRestrictions")
    if isinstance(restrictions, Mapping):
        for name, wire in (("domains", "domains"), ("user_agents", "userAgents")):
            if wire in restrictions:
                observed[name] = _rules_from_wire(restrictions[wire], declared.get(name))
    return observed
