"""Reading the emulator's journal in tests."""

from __future__ import annotations

from fastpix_emulator import EmulatorServer


def api_calls(emulator: EmulatorServer, method: str | None = None) -> list[tuple[str, str]]:
    """(method, path) of every API request answered since the journal was last cleared."""
    return [(e["method"], e["path"]) for e in emulator.journal.entries()
            if e["path"].startswith("/v1/") and (method is None or e["method"] == method)]


def media_ids(emulator: EmulatorServer) -> set[str]:
    return set(emulator.backend.media)
