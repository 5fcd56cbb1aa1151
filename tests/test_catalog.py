"""The catalog file: what it accepts, and a clear error naming file, key and fix for what it does not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

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
  protect: true
  retainOnDelete: true
""")
    assert entry.key == "intro"
    assert entry.args == {
        "url": URL, "title": "Intro", "creator_id": "studio-7", "metadata": {"team": "marketing"},
        "access_policy": "private", "max_resolution": "720p", "media_quality": "premium", "mp4_support": "capped_4k",
        "source_access": True, "optimize_audio": False, "wait_for_ready": True,
        "adopt_id": "4fa85f64-5717-4562-b3fc-2c963f66afa6",
    }
    assert entry.protect and entry.retain_on_delete


def test_an_empty_catalog_declares_nothing() -> None:
    assert parse_catalog("") == []
    assert parse_catalog("# nothing yet\n") == []


def test_the_shipped_catalog_is_valid() -> None:
    assert len(load_catalog(Path(__file__).resolve().parent.parent / "media.yaml")) == 3


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
    (f"bad key!:\n  url: {URL}\n", "'bad key!': a media key must be"),
    ("intro:\n  url: [unclosed\n", "not valid YAML at line"),
])
def test_problems_name_the_file_the_key_and_the_fix(text: str, problem: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "catalog/media.yaml")
    assert str(caught.value).startswith("catalog/media.yaml:")
    assert problem in str(caught.value)


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
