"""`recover --apply --delete-orphans` through the real engine: it deletes this stack's orphans and nothing else.

Media released with `retainOnDelete`, media of a same-named project/stack in another backend sharing
the workspace, and media tagged by 0.1.0 all stay; a real orphan of this stack goes; a pending create
is put back into the state after a backup of the state is written.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from typing import Any

import pytest

from fastpix_emulator import EmulatorServer
from fastpix_provider.owner import OWNER_METADATA_KEY, OwnerTag, owner_path, stack_id_for
from tests.support.builders import entry, media_body
from tests.support.journal import media_ids

pytestmark = pytest.mark.engine

PROJECT, STACK = "fastpix-media", "test"


def recover(stack: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fastpix_provider.cli.recover", "--stack", STACK, *args],
                          cwd=stack.work_dir, env=stack.env, capture_output=True, text=True, timeout=300)


def write_checkpoint(stack: Any, deployment: dict[str, Any]) -> None:
    """Replace the stack's state in its file backend, as the engine writes it (project-scoped layout)."""
    path = stack.work_dir / "state" / ".pulumi" / "stacks" / PROJECT / f"{STACK}.json"
    checkpoint = json.loads(path.read_text())
    checkpoint["checkpoint"]["latest"] = deployment
    path.write_text(json.dumps(checkpoint))


def tagged_media(emulator: EmulatorServer, tag: str, title: str) -> str:
    return str(emulator.backend.create_media(media_body(title=title, metadata={OWNER_METADATA_KEY: tag}))["id"])


def test_recover_deletes_only_provable_orphans_of_this_stack(emulator: EmulatorServer, catalog_stack) -> None:
    stack, catalog = catalog_stack({"live": entry(title="Live"), "archived": entry(retainOnDelete=True),
                                    "interrupted": entry(title="Interrupted")})
    stack.up()
    by_name = {r["urn"].rsplit("::", 1)[1]: r for r in stack.resources("fastpix:Media")}
    ours = by_name["live"]["inputs"].get("stack_id")
    if not ours:
        pytest.skip("the provider does not record stack_id yet (it needs the stack-id owner tags)")
    live_tag = OwnerTag.parse(by_name["live"]["outputs"]["owner_tag"])
    assert live_tag is not None and live_tag.stack_id == ours and not live_tag.kept

    # Released: removed from the catalog under retainOnDelete, the media stays, its tag says `!kept`.
    archived = by_name["archived"]["id"]
    catalog.remove("archived")
    stack.up()
    released_tag = OwnerTag.parse(emulator.backend.media[archived].metadata.get(OWNER_METADATA_KEY))
    assert released_tag is not None and released_tag.kept and released_tag.stack_id == ours

    # A pending create whose media exists: the run that sent it died before recording its id.
    deployment = stack.export()
    interrupted = next(r for r in deployment["resources"] if r["urn"].endswith("::interrupted"))
    interrupted_id = interrupted["id"]
    deployment["resources"].remove(interrupted)
    pending = {k: v for k, v in interrupted.items() if k not in ("id", "outputs")}
    deployment["pending_operations"] = [{"resource": pending, "type": "creating"}]
    # `pulumi stack import` drops pending operations, so write them where a killed run leaves them.
    write_checkpoint(stack, deployment)
    assert [op["resource"]["urn"] for op in stack.export()["pending_operations"]] == [pending["urn"]]

    # A real orphan of this stack: tagged with its stack id, in no state and no pending create.
    orphan = tagged_media(emulator, OwnerTag(owner_path(PROJECT, STACK, "ghost"), "0badc0de", ours).render(), "Ghost")
    # The same project and stack names in another backend and organisation, sharing the workspace.
    elsewhere = stack_id_for("https://api.pulumi.com", "acme", PROJECT, STACK)
    twin = tagged_media(emulator, OwnerTag(owner_path(PROJECT, STACK, "live"), "1234abcd", elsewhere).render(), "Twin")
    # Tagged by 0.1.0, whose tags name neither backend nor organisation: not provably this stack's.
    legacy = tagged_media(emulator, f"{owner_path(PROJECT, STACK, 'old')}#89abcdef", "Old")
    before = media_ids(emulator)

    dry = recover(stack)
    assert dry.returncode == 0, dry.stderr
    assert f"orphan: media {orphan}" in dry.stdout
    assert media_ids(emulator) == before, "without --apply nothing changes"

    result = recover(stack, "--apply", "--delete-orphans")
    assert result.returncode == 0, result.stderr + result.stdout
    assert media_ids(emulator) == before - {orphan}, "only the provable orphan is deleted"
    out = result.stdout
    assert f"stack id {ours} (recorded in the state)" in out
    assert f"pending create interrupted: found media {interrupted_id}; importing it" in out
    assert f"deleted orphan {orphan}" in out
    assert f"released (kept by retainOnDelete): media {archived}" in out
    assert f"not provably this stack's: media {twin}" in out and f"tagged by stack id {elsewhere}" in out
    assert f"not provably this stack's: media {legacy}" in out and "0.1.0 format" in out

    # The backup: written before the import, readable by its owner only, restorable as printed.
    [backup] = (stack.work_dir / ".fastpix-recover").glob(f"{STACK}-*.json")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert f"pulumi stack import --stack {STACK} --file {backup}" in out
    saved = json.loads(backup.read_text())
    assert [op["resource"]["urn"] for op in saved["deployment"]["pending_operations"]] == [pending["urn"]]

    assert {r["id"] for r in stack.resources("fastpix:Media")} == {by_name["live"]["id"], interrupted_id}
    assert stack.preview().change_summary == {"same": 3}
    again = recover(stack, "--apply", "--delete-orphans")
    assert "nothing to recover" in again.stdout
    assert media_ids(emulator) == before - {orphan}
