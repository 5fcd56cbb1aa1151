"""Stacks written by earlier versions keep working: refresh, update and delete from a golden state.

Every state records `fastpix_provider.provider.MediaProvider` (pickled by reference in `__provider`)
and the input and output names of Media. A rename of either without a compatibility path fails here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from fastpix_emulator import EmulatorServer
from fastpix_emulator.models import MediaRecord
from pulumi_local import program_file
from tests.golden.make_golden_state import CATALOG
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY
from tests.support.journal import api_calls, media_ids

pytestmark = pytest.mark.engine

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
PROJECT_ROOT = GOLDEN_DIR.parent.parent


def golden_states() -> list[Path]:
    return sorted(GOLDEN_DIR.glob("state-*.json"))


def seed_from_state(emulator: EmulatorServer, deployment: dict) -> dict[str, str]:
    """Put into the emulator the media a golden state describes, under the same ids."""
    ids = {}
    for resource in deployment["resources"]:
        if not resource["type"].endswith("fastpix:Media"):
            continue
        outs = resource["outputs"]
        metadata = dict(outs.get("metadata") or {})
        metadata["fastpix-pulumi"] = outs["owner_tag"]
        now = time.time()
        emulator.backend.media[resource["id"]] = MediaRecord(
            id=resource["id"], created_at=now, updated_at=now, ready_after=0.0,
            inputs=[{"type": "video", "url": outs["url"]}], access_policy=outs.get("access_policy") or "public",
            playback_ids=[{"id": p["id"], "accessPolicy": p["access_policy"],
                           "accessRestrictions": {"domains": {"defaultPolicy": "allow", "allow": [], "deny": []},
                                                  "userAgents": {"defaultPolicy": "allow", "allow": [], "deny": []}}}
                          for p in outs["playback_ids"]],
            metadata=metadata, title=outs.get("title"), creator_id=outs.get("creator_id"),
            source_access=bool(outs.get("source_access")), mp4_support=outs.get("mp4_support") or "none",
        )
        ids[resource["urn"].rsplit("::", 1)[1]] = resource["id"]
    return ids


def test_there_is_a_golden_state_for_this_version() -> None:
    from fastpix_provider import __version__

    assert (GOLDEN_DIR / f"state-{__version__}.json").exists(), "run: python -m tests.golden.make_golden_state"


@pytest.mark.parametrize("golden", golden_states(), ids=lambda p: p.stem)
def test_a_golden_state_can_be_refreshed_updated_and_deleted(
    golden: Path, emulator: EmulatorServer, make_stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployment = json.loads(golden.read_text())
    ids = seed_from_state(emulator, deployment)
    catalog: dict[str, Any] = dict(CATALOG)
    catalog_file = tmp_path / "media.yaml"
    catalog_file.write_text(yaml.safe_dump(catalog))
    monkeypatch.setenv("FASTPIX_CATALOG", str(catalog_file))
    stack = make_stack(program_file(PROJECT_ROOT / "__main__.py"), stack_name="golden",
                       env={"FASTPIX_API_URL": emulator.api_url, "FASTPIX_USERNAME": ACCESS_TOKEN_ID,
                            "FASTPIX_PASSWORD": SECRET_KEY})
    stack.stack.import_stack(auto.Deployment(version=3, deployment=deployment))

    assert stack.refresh().summary.resource_changes == {"same": 3}  # the stack and its two media
    assert stack.preview().change_summary == {"same": 3}
    assert api_calls(emulator, "POST") == []

    catalog["intro"] = {**catalog["intro"], "title": "Intro, recut"}
    catalog_file.write_text(yaml.safe_dump(catalog))
    assert stack.up().summary.resource_changes == {"same": 2, "update": 1}
    assert api_calls(emulator, "PATCH") == [("PATCH", f"/v1/on-demand/{ids['intro']}")]

    del catalog["trailer"]
    catalog_file.write_text(yaml.safe_dump(catalog))
    stack.up()
    assert api_calls(emulator, "DELETE") == [("DELETE", f"/v1/on-demand/{ids['trailer']}")]

    stack.destroy()
    assert media_ids(emulator) == set()
    assert api_calls(emulator, "POST") == []
