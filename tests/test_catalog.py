"""The catalog file: what it accepts, and a clear error naming file, key and fix for what it does not."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from fastpix_provider import catalog
from fastpix_provider._text import echo
from fastpix_provider.catalog import CatalogError, load_catalog, parse_catalog
from fastpix_provider.media import check_inputs

URL = "https://static.fastpix.com/fp-sample-video.mp4"


def test_entries_map_catalog_names_to_media_arguments() -> None:
    [entry] = parse_catalog(f"""
intro:
  url: {URL}
  title: Intro
  creatorId: studio-7
  metadata: {{team: marketing}}
  accessPolicy: private
  maxResolution: 720p
  mediaQuality: premium
  mp4Support: capped_4k
  sourceAccess: true
  optimizeAudio: false
  waitForReady: true
  adopt: 4fa85f64-5717-4562-b3fc-2c963f66afa6
  takeOver: true
  protect: true
  retainOnDelete: true
""")
    assert entry.key == "intro"
    assert entry.args == {
        "url": URL, "title": "Intro", "creator_id": "studio-7", "metadata": {"team": "marketing"},
        "access_policy": "private", "max_resolution": "720p", "media_quality": "premium", "mp4_support": "capped_4k",
        "source_access": True, "optimize_audio": False, "wait_for_ready": True,
        "adopt_id": "4fa85f64-5717-4562-b3fc-2c963f66afa6", "take_over": True,
    }
    assert entry.protect and entry.retain_on_delete


def test_drm_media_name_their_drm_configuration() -> None:
    [entry] = parse_catalog(f"""
locked:
  url: {URL}
  accessPolicy: drm
  drmConfigurationId: 3fa85f64-5717-4562-b3fc-2c963f66afa6
""")
    assert entry.args["drm_configuration_id"] == "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def test_an_empty_catalog_declares_nothing() -> None:
    assert parse_catalog("") == []
    assert parse_catalog("# nothing yet\n") == []


def test_the_shipped_catalogs_are_valid() -> None:
    root = Path(__file__).resolve().parent.parent
    assert [entry.key for entry in load_catalog(root / "media.yaml")] == ["welcome", "product-tour", "teaser",
                                                                         "customer-story"]
    assert [entry.key for entry in load_catalog(root / "templates" / "fastpix-media" / "media.yaml")] == ["welcome", "tour"]


@pytest.mark.parametrize(("text", "problem"), [
    ("- a\n- b\n", "must be a map from media key to properties, not a list"),
    ("intro: [1]\n", "intro: expected a map of properties"),
    ("intro:\n  title: x\n", "intro.url: url is required"),
    (f"intro:\n  url: {URL}\n  titel: x\n", "intro: unknown property `titel`; did you mean `title`?"),
    (f"intro:\n  url: {URL}\n  accessPolicy: secret\n", "intro.accessPolicy: accessPolicy must be one of public"),
    (f"intro:\n  url: {URL}\n  mp4Support: yes\n", "intro.mp4Support: mp4Support must be one of"),
    (f"intro:\n  url: {URL}\n  metadata: {{n: 5}}\n", "intro.metadata.n: metadata values must be strings; quote 5"),
    (f"intro:\n  url: {URL}\n  protect: maybe\n", "intro.protect: must be true or false"),
    (f"intro:\n  url: {URL}\n  adopt: 12\n", "intro.adopt: must be the id of an existing FastPix media"),
    (f"intro:\n  url: {URL}\n  takeOver: please\n", "intro.takeOver: must be true or false, got 'please'"),
    (f"intro:\n  url: {URL}\n  takeOver: true\n", "intro.takeOver: takeOver applies to adoption only"),
    (f"bad key!:\n  url: {URL}\n", "'bad key!': a media key must be"),
    ("intro:\n  url: [unclosed\n", "not valid YAML at line"),
])
def test_problems_name_the_file_the_key_and_the_fix(text: str, problem: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "catalog/media.yaml")
    assert str(caught.value).startswith("catalog/media.yaml:")
    assert problem in str(caught.value)


def test_take_over_without_adopt_is_reported_once() -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(f"intro:\n  url: {URL}\n  takeOver: true\n")
    assert len(caught.value.problems) == 1


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog("a:\n  title: x\nb:\n  url: ftp://x\n")
    assert len(caught.value.problems) == 2


def test_a_missing_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog(tmp_path / "nope.yaml")


# -- properties: arbitrary input never escapes as anything but a clear error ------------------------

yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=300),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=12),
    max_leaves=30,
)
property_names = st.sampled_from(["url", "title", "creatorId", "metadata", "accessPolicy", "maxResolution",
                                  "mediaQuality", "mp4Support", "sourceAccess", "optimizeAudio", "waitForReady",
                                  "adopt", "protect", "retainOnDelete", "titel"]) | st.text(max_size=12)
entries = st.dictionaries(property_names, yaml_values, max_size=8)
catalogs = st.dictionaries(st.text(max_size=30), entries | yaml_values, max_size=5)


@settings(max_examples=300, deadline=None)
@given(document=catalogs | yaml_values)
def test_any_yaml_document_loads_or_fails_with_a_catalog_error(document: object) -> None:
    text = yaml.safe_dump(document)
    try:
        loaded = parse_catalog(text)
    except CatalogError as error:
        assert error.problems
        assert all(isinstance(p, str) and p for p in error.problems)
        return
    for entry in loaded:
        assert check_inputs(entry.args) == []


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400))
def test_any_text_loads_or_fails_with_a_catalog_error(text: str) -> None:
    try:
        parse_catalog(text)
    except CatalogError:
        pass


@settings(max_examples=300, deadline=None)
@given(inputs=st.dictionaries(st.sampled_from(["url", "title", "creator_id", "metadata", "access_policy",
                                               "max_resolution", "media_quality", "mp4_support", "source_access",
                                               "optimize_audio", "wait_for_ready", "adopt_id"]), yaml_values))
def test_check_judges_any_values_without_raising(inputs: dict) -> None:
    for failure in check_inputs(inputs):
        assert failure.property.split(".")[0] in inputs or failure.property == "url"
        assert failure.reason


# -- hostile or careless input: refused with a short message that names the lines -------------------

def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "media.yaml")
    return caught.value.problems


def nested_aliases() -> str:
    """About 400 bytes that a YAML loader expands into 1.1 million strings (a "billion laughs")."""
    lines = ['a: &a ["lol-lol-lol-lol-lol", "lol-lol-lol-lol-lol", "lol-lol-lol-lol-lol", "lol-lol-lol-lol-lol"]']
    for previous, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]")
    lines.append(f"intro:\n  url: {URL}\n  protect: *h")
    return "\n".join(lines) + "\n"


def test_nested_aliases_give_a_short_error_fast() -> None:
    text = nested_aliases()
    assert 380 <= len(text.encode()) <= 450
    started = time.perf_counter()
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "media.yaml")
    assert time.perf_counter() - started < 1.0
    message = str(caught.value)
    assert len(message) < 3000, f"the message is {len(message)} characters"
    assert "a: line 1: the YAML anchor `&a`, repeated by 6 alias(es) `*a` at line(s) 2" in message
    assert "h: line 8: the YAML anchor `&h`, repeated by 1 alias(es) `*h` at line(s) 11" in message
    assert "anchors and aliases are not allowed in the catalog" in message


@pytest.mark.parametrize(("text", "problem"), [
    (f"intro: &base\n  url: {URL}\n", "intro: line 1: the YAML anchor `&base`; anchors and aliases are not allowed"),
    (f"intro:\n  url: &u {URL}\nouttro:\n  url: *u\n", "intro.url: line 2: the YAML anchor `&u`, repeated by 1 alias(es)"
                                                        " `*u` at line(s) 4"),
    ("intro: *nothing\n", "line 1: the YAML alias `*nothing` (it names no anchor)"),
    (f"intro:\n  <<: {{url: {URL}}}\n", "intro.<<: line 2: YAML merge keys (`<<`) are not allowed"),
])
def test_anchors_aliases_and_merge_keys_are_refused_naming_the_line(text: str, problem: str) -> None:
    assert any(problem in p for p in problems_of(text)), problems_of(text)


@pytest.mark.parametrize(("text", "problem"), [
    (f"intro:\n  url: {URL}\nother:\n  url: {URL}\nintro:\n  url: {URL}\n",
     "intro: the media key is given twice, at lines 1 and 5; YAML would silently keep only the last: keep one"),
    (f"intro:\n  url: {URL}\n  title: A\n  url: {URL}?v=2\n", "intro.url: the property is given twice, at lines 2 and 4"),
    (f'intro:\n  url: {URL}\n  "url": {URL}\n', "intro.url: the property is given twice, at lines 2 and 3"),
    (f"intro:\n  url: {URL}\n  metadata:\n    team: a\n    team: b\n", "intro.metadata.team: the property is given "
                                                                       "twice, at lines 4 and 5"),
    (f"intro: {{url: {URL}, url: {URL}}}\n", "intro.url: the property is given twice on line 1 (columns 9 and"),
])
def test_a_key_given_twice_at_any_level_is_refused_naming_both_lines(text: str, problem: str) -> None:
    assert any(problem in p for p in problems_of(text)), problems_of(text)


def test_every_structural_problem_is_listed_at_once() -> None:
    text = f"a:\n  url: {URL}\n  url: {URL}\nb: &b\n  url: {URL}\na:\n  url: {URL}\n"
    assert len(problems_of(text)) == 3


def test_deep_nesting_is_refused() -> None:
    [problem] = problems_of("intro: " + "[" * 200 + "]" * 200 + "\n")
    assert "nested deeper than 32 levels" in problem


def test_the_file_size_is_capped(tmp_path: Path) -> None:
    big = tmp_path / "media.yaml"
    padding = "# " + "x" * 1000 + "\n"
    big.write_text(f"intro:\n  url: {URL}\n" + padding * 5300)
    with pytest.raises(CatalogError, match=r"the file is 5\.1 MiB; a catalog may be at most 5 MiB"):
        load_catalog(big)
    with pytest.raises(CatalogError, match="at most 5 MiB"):
        parse_catalog(big.read_text())
    assert len(parse_catalog(f"intro:\n  url: {URL}\n" + padding * 5000)) == 1


@pytest.mark.parametrize("text", [
    f"intro:\n  url: {URL}\n  protect: '{'y' * 20000}'\n",
    f"intro:\n  url: {URL}\n  {'z' * 20000}: 1\n",
    f"'{'k' * 20000}':\n  url: {URL}\n",
    f"intro:\n  url: https://{'h' * 20000}.example.com/\n  accessPolicy: '{'p' * 20000}'\n",
    f"intro:\n  url: {URL}\n  metadata: {{team: {list(range(5000))}}}\n",
    f"intro:\n  url: {URL}\n  takeOver: {list(range(5000))}\n  adopt: {list(range(5000))}\n",
])
def test_echoed_values_are_bounded(text: str) -> None:
    problems = problems_of(text)
    assert all(len(p) <= 400 for p in problems), [len(p) for p in problems]
    assert len(str(CatalogError("media.yaml", problems))) < 2000


def test_a_quoted_value_is_cut_to_80_characters_with_an_ellipsis() -> None:
    [problem] = problems_of(f"intro:\n  url: {URL}\n  protect: '{'y' * 20000}'\n")
    quoted = problem.split("got ", 1)[1]
    assert len(quoted) == 80 and quoted.endswith("\u2026")
    assert echo("short") == "'short'"


def test_the_problem_list_is_bounded_but_counts_every_problem() -> None:
    text = "".join(f"k{i}:\n  title: x\n" for i in range(300))
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)
    assert len(caught.value.problems) == 300
    assert "... and 200 more" in str(caught.value)


def test_the_catalog_is_read_by_libyaml() -> None:
    # The structure check and the load both use the C parser: a 500-entry catalog stays fast.
    if getattr(yaml, "__with_libyaml__", False):
        assert catalog.SAFE_LOADER is yaml.CSafeLoader
    entries = {f"clip-{i:03d}": {"url": f"{URL}?n={i}", "title": f"Clip {i}", "metadata": {"course": "physics"}}
               for i in range(500)}
    assert len(parse_catalog(yaml.safe_dump(entries))) == 500


@settings(max_examples=200, deadline=None)
@given(document=catalogs | yaml_values)
def test_any_problem_is_a_bounded_line(document: object) -> None:
    try:
        parse_catalog(yaml.safe_dump(document))
    except CatalogError as error:
        assert all(len(p) <= 400 for p in error.problems)
