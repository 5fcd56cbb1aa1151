"""How configuration reaches the provider, proved through the engine, and why credentials stay out of it."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from fastpix_emulator import EmulatorServer
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, entry
from tests.support.journal import api_calls, media_ids
from tests.support.marker import ConfigProbe

pytestmark = pytest.mark.engine


def test_the_whole_stack_config_reaches_a_dynamic_provider_and_is_recorded_in_state(make_stack) -> None:
    stack = make_stack(lambda: ConfigProbe("probe"), config={"fastpix:probe": "a", "other:probe": "b"})
    stack.up()
    [probe] = stack.resources("test:ConfigProbe")
    assert probe["outputs"]["seen"] == {"fastpix:probe": "a", "other:probe": "b", "probe": None}
    # ...which is why credentials must not be stack config: the default provider keeps all of it.
    [provider] = stack.resources("pulumi:providers:pulumi-python")
    assert provider["inputs"]["fastpix:probe"] == "a"
    assert provider["inputs"]["other:probe"] == "b"


@pytest.mark.parametrize("key", ["fastpix:secretKey", "fastpix:accessTokenId"])
def test_credentials_in_stack_config_stop_the_preview_before_they_reach_state(
    emulator: EmulatorServer, catalog_stack, key: str
) -> None:
    stack, _ = catalog_stack({"a": entry()})
    stack.set_config(key, "must-not-persist-42", secret=True)
    for run in (stack.preview, stack.up):
        with pytest.raises(auto.CommandError) as caught:
            run()
        assert f"pulumi config rm {key}" in str(caught.value)
        assert "must-not-persist-42" not in str(caught.value)
    # `up` would have created the media and recorded the whole stack config, this key included, as the
    # inputs of the stack's dynamic provider (see the test above).
    assert api_calls(emulator) == []
    assert media_ids(emulator) == set()
    assert stack.resources("pulumi:providers:pulumi-python") == []
    # The stack's checkpoint, that is; the engine's update history records every run's config (encrypted
    # where secret) whatever a provider does.
    checkpoints = list((stack.work_dir / "state" / ".pulumi" / "stacks").rglob("*.json"))
    assert checkpoints
    for state_file in checkpoints:
        assert key not in state_file.read_text()


def test_a_rotated_secret_key_is_used_at_once_also_to_delete_older_media(emulator: EmulatorServer, catalog_stack) -> None:
    stack, catalog = catalog_stack({"a": entry(), "b": entry()})
    stack.up()
    ids = {key: value["id"] for key, value in stack.outputs().items()}
    rotated = "rotated-secret-key-5a6b"
    emulator.rotate_secret_key(ACCESS_TOKEN_ID, rotated)  # FastPix now takes only the new key
    try:
        stack.set_env("FASTPIX_PASSWORD", rotated)
        catalog.remove("a")
        stack.up()
    finally:
        emulator.rotate_secret_key(ACCESS_TOKEN_ID, SECRET_KEY)
    assert media_ids(emulator) == {ids["b"]}
    assert [e["status"] for e in emulator.journal.entries() if e["method"] == "DELETE"] == [200]
