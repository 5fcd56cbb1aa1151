"""Spreading media over explicit provider processes (`fastpix:providers`): existing stacks move over
with no replace, no create and no delete in FastPix; a bad setting stops the program plainly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from fastpix_emulator import EmulatorServer
from fastpix_provider.spread import DEFAULT_PROVIDERS, provider_count, slot_of
from pulumi_local import program_file
from tests.golden.make_golden_state import CATALOG
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY
from tests.support.journal import api_calls, media_ids
from tests.test_state_compatibility import GOLDEN_DIR, PROJECT_ROOT, seed_from_state


def test_the_count_comes_from_config_then_environment_then_default() -> None:
    assert provider_count(None, {}) == DEFAULT_PROVIDERS == 1
    assert provider_count(None, {"FASTPIX_PROVIDERS": "3"}) == 3
    assert provider_count("4", {"FASTPIX_PROVIDERS": "3"}) == 4
    for bad in ("0", "33", "four", "-1"):
        with pytest.raises(ValueError, match="fastpix:providers must be a whole number from 1 to 32"):
            provider_count(bad, {})


def test_a_media_keeps_its_provider_when_other_entries_come_and_go() -> None:
    keys = [f"clip-{i}" for i in range(200)]
    slots = {key: slot_of(key, 4) for key in keys}
    assert set(slots.values()) == {0, 1, 2, 3}
    assert {key: slot_of(key, 4) for key in reversed(keys[50:])} == {key: slots[key] for key in keys[50:]}


@pytest.mark.engine
def test_the_golden_state_moves_to_explicit_providers_with_no_replace(
    emulator: EmulatorServer, make_stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = json.loads((GOLDEN_DIR / "state-0.1.0.json").read_text())
    ids = seed_from_state(emulator, deployment)
    catalog_file = tmp_path / "media.yaml"
    catalog_file.write_text(yaml.safe_dump(dict(CATALOG)))
    monkeypatch.setenv("FASTPIX_CATALOG", str(catalog_file))
    stack = make_stack(program_file(PROJECT_ROOT / "__main__.py"), stack_name="golden",
                       env={"FASTPIX_API_URL": emulator.api_url, "FASTPIX_USERNAME": ACCESS_TOKEN_ID,
                            "FASTPIX_PASSWORD": SECRET_KEY})
    stack.stack.import_stack(auto.Deployment(version=3, deployment=deployment))
    stack.set_config("fastpix:providers", "4")
    slots = {f"fastpix-{slot_of(key, 4)}" for key in CATALOG}

    preview = stack.preview().change_summary
    assert preview.get("replace", 0) == 0 and preview.get("delete", 0) == 0, preview
    stack.up()
    assert api_calls(emulator, "POST") == [] and api_calls(emulator, "DELETE") == []
    assert media_ids(emulator) == set(ids.values())
    media = {r["urn"].rsplit("::", 1)[1]: r for r in stack.resources("fastpix:Media")}
    assert {name: r["id"] for name, r in media.items()} == ids, "the same media, under the same ids"
    assert {r["provider"].split("::")[-2] for r in media.values()} == slots, "each media on its explicit provider"
    assert stack.preview().change_summary.get("same") == 1 + len(CATALOG) + len(slots)

    # And back to the default provider: again nothing replaced.
    stack.set_config("fastpix:providers", "1")
    stack.up()
    assert api_calls(emulator, "POST") == [] and api_calls(emulator, "DELETE") == []
    assert {r["urn"].rsplit("::", 1)[1]: r["id"] for r in stack.resources("fastpix:Media")} == ids


@pytest.mark.engine
def test_a_bad_provider_count_stops_the_program_with_its_message(catalog_stack) -> None:
    stack, _ = catalog_stack({"intro": {"url": "https://static.fastpix.com/fp-sample-video.mp4"}})
    stack.set_config("fastpix:providers", "many")
    with pytest.raises(auto.CommandError) as failure:
        stack.preview()
    assert "fastpix:providers must be a whole number from 1 to 32, got 'many'" in str(failure.value)
