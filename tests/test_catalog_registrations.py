"""A catalog large enough for registrations to start while it is still declared (program.py turns the
event loop every 16 media): through the real engine, each media is created once and recorded once."""

from __future__ import annotations

from typing import Any

import pytest

from fastpix_emulator import EmulatorServer
from fastpix_provider.client import Credentials, FastPixClient
from fastpix_provider.program import TURN_EVERY
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, entry

pytestmark = pytest.mark.engine


def media_in_fastpix(emulator: EmulatorServer) -> list[dict[str, Any]]:
    client = FastPixClient(emulator.api_url, Credentials(ACCESS_TOKEN_ID, SECRET_KEY))
    try:
        return list(client.list_media())
    finally:
        client.close()


def test_media_registered_while_the_catalog_is_declared_are_each_created_and_recorded_once(
        catalog_stack: Any, emulator: EmulatorServer) -> None:
    count = 3 * TURN_EVERY + 5  # three turns of the loop while declaring
    stack, catalog = catalog_stack({f"clip-{i:02d}": entry(title=f"Clip {i}") for i in range(count)})
    stack.up()
    held = media_in_fastpix(emulator)
    assert sorted(m["title"] for m in held) == sorted(f"Clip {i}" for i in range(count))
    assert {r["id"] for r in stack.resources("fastpix:Media")} == {m["id"] for m in held}
    for i in range(count, count + TURN_EVERY + 1):
        catalog.set(f"clip-{i:02d}", entry(title=f"Clip {i}"))
    stack.up()
    assert len(media_in_fastpix(emulator)) == count + TURN_EVERY + 1
    assert stack.preview().change_summary == {"same": count + TURN_EVERY + 2}  # the media and the stack
