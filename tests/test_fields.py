"""The field table is the one place a media property is declared: everything else follows it."""

from __future__ import annotations

import pytest

from fastpix_provider import _media_inputs, catalog, fields, media
from fastpix_provider.fields import DECLARED, FIELDS, render_generated


def test_the_generated_media_inputs_follow_the_table() -> None:
    assert fields.GENERATED.read_text(encoding="utf-8") == render_generated(), (
        "fastpix_provider/_media_inputs.py is stale: run `python -m fastpix_provider.fields`")


def test_every_declared_property_reaches_the_program_the_catalog_and_the_outputs() -> None:
    names = [f.name for f in DECLARED]
    assert list(_media_inputs.MediaInputs.__annotations__) == names
    assert [f for f in _media_inputs.MediaArgs.__dataclass_fields__] == names
    assert catalog.PROPERTIES == {f.catalog: f.name for f in DECLARED}
    outputs = _media_inputs.MediaOutputs.__annotations__
    assert all(f.name in outputs for f in FIELDS if f.output)
    assert all(name in outputs for name in fields.COMPUTED_OUTPUTS)


def test_the_change_plan_follows_the_table() -> None:
    assert set(media.IN_PLACE) == {f.name for f in FIELDS if f.change == "in_place"}
    assert set(media.REPLACE) == {f.name for f in FIELDS if f.change == "replace"}
    for field in FIELDS:
        if field.change == "nothing":
            continue
        changed = {"bool": True, "metadata": {"team": "video"}}.get(field.kind, "changed-value")
        plan = media.plan_changes({}, {field.name: changed})
        assert plan.changed == (field.name,)
        assert plan.replaces == ((field.name,) if field.change == "replace" else ())


def test_messages_name_properties_in_the_words_of_their_reader() -> None:
    [failure] = media.check_inputs({"url": "https://x.example/v.mp4", "max_resolution": "4k"})
    assert failure.reason.startswith("max_resolution must be one of")
    assert failure.message(fields.catalog_name).startswith("maxResolution must be one of")
    assert failure.named(fields.catalog_name) == "maxResolution"


def test_media_refuses_an_argument_it_does_not_have_and_suggests_the_close_one() -> None:
    from fastpix_provider import Media

    with pytest.raises(TypeError, match="'titel'; did you mean 'title'"):
        Media("intro", url="https://x.example/v.mp4", titel="Intro")  # type: ignore[call-arg]
