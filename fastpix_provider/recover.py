"""Recover a stack after a `pulumi up` that died mid-run: `python -m fastpix_provider.recover --stack dev`.

A run killed while creating media leaves two kinds of loose ends:

- *pending creates*: the engine recorded that it asked for a media but never learned its id. The
  media may exist in FastPix. Each media this provider creates carries the reserved metadata entry
  `fastpix-pulumi: <project>/<stack>/<resource>#<nonce>`, so the media can be found and put back into
  the stack's state as the resource it was created for (`pulumi stack import`, then `pulumi refresh`
  reads it from FastPix): it is managed again, without a new upload. Pending creates whose media never
  came to be are dropped. (Pulumi's own `refresh --import-pending-creates` only relabels the pending
  operation in 3.260 and the resource is then lost, so the state is edited here instead.)
- *orphans*: media tagged for this stack that neither the state nor a pending create knows (for
  example a create whose answer and pending record were both lost). `--delete-orphans` deletes them.

A killed run can also leave the stack locked (`--unlock` runs `pulumi cancel`, so use it only when no
other run is going on) and, on a file:// backend, an empty or cut-off `<stack>.json.attrs` sidecar
that makes Pulumi fail with "failed to load checkpoint: EOF" (the kill fell between writing the state
and its metadata); `--apply` removes such a sidecar, which holds no state.

Without `--apply` it only reports what it found and the commands it would run. Credentials come from
FASTPIX_USERNAME and FASTPIX_PASSWORD and the API URL from the stack's `fastpix:apiUrl` or
FASTPIX_API_URL, as for the provider.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from .client import FastPixClient
from .errors import FastPixError
from .media import OWNER_METADATA_KEY
from .settings import ProviderSettings

MEDIA_TYPE_SUFFIX = "fastpix:Media"


@dataclass
class RecoveryPlan:
    project: str
    stack: str
    to_import: dict[str, dict[str, Any]] = field(default_factory=dict)  # urn of a pending create -> its media
    to_clear: list[str] = field(default_factory=list)  # urns of pending creates with no media
    orphans: list[dict[str, Any]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.to_import or self.to_clear or self.orphans)

    @property
    def edits_state(self) -> bool:
        return bool(self.to_import or self.to_clear)

    def repaired(self, deployment: Mapping[str, Any]) -> dict[str, Any]:
        """The deployment with each found pending create turned into a resource and the rest dropped."""
        fixed = dict(deployment)
        resources = list(deployment.get("resources") or [])
        kept_ops = []
        for op in deployment.get("pending_operations") or []:
            urn = op["resource"]["urn"]
            if op.get("type") == "creating" and urn in self.to_import:
                found = self.to_import[urn]
                state = dict(op["resource"])
                state["id"] = found["id"]
                # Enough for `pulumi refresh` to read it back: the pickled provider travels in the inputs.
                state["outputs"] = {**(state.get("inputs") or {}), "media_id": found["id"],
                                    "owner_tag": (found.get("metadata") or {}).get(OWNER_METADATA_KEY)}
                resources.append(state)
            elif op.get("type") == "creating" and urn in self.to_clear:
                continue
            else:
                kept_ops.append(op)
        fixed["resources"] = resources
        fixed["pending_operations"] = kept_ops
        return fixed


def plan_recovery(deployment: Mapping[str, Any], workspace_media: Iterable[Mapping[str, Any]]) -> RecoveryPlan:
    """Match the media tagged for a stack with what its state records and what it left pending."""
    resources = [r for r in deployment.get("resources") or [] if str(r.get("type", "")).endswith(MEDIA_TYPE_SUFFIX)]
    pending = [op["resource"] for op in deployment.get("pending_operations") or []
               if op.get("type") == "creating" and str(op["resource"].get("type", "")).endswith(MEDIA_TYPE_SUFFIX)]
    urns = [r["urn"] for r in resources + pending]
    stack_name, project = _stack_and_project(urns, deployment)
    plan = RecoveryPlan(project=project, stack=stack_name)
    recorded = {r["id"] for r in resources if r.get("id")}
    pending_by_owner = {f"{project}/{stack_name}/{op['urn'].rsplit('::', 1)[1]}": op["urn"] for op in pending}
    prefix = f"{project}/{stack_name}/"
    for item in workspace_media:
        tag = str((item.get("metadata") or {}).get(OWNER_METADATA_KEY) or "")
        if not tag.startswith(prefix) or item.get("id") in recorded:
            continue
        urn = pending_by_owner.get(tag.rsplit("#", 1)[0])
        if urn is not None and urn not in plan.to_import:
            plan.to_import[urn] = dict(item)
        else:
            plan.orphans.append(dict(item))
    plan.to_clear = [urn for urn in pending_by_owner.values() if urn not in plan.to_import]
    return plan


def _stack_and_project(urns: list[str], deployment: Mapping[str, Any]) -> tuple[str, str]:
    for resource in [*urns, *(r.get("urn", "") for r in deployment.get("resources") or [])]:
        parts = str(resource).split("::")
        if len(parts) >= 3 and parts[0].startswith("urn:pulumi:"):
            return parts[0][len("urn:pulumi:"):], parts[1]
    raise ValueError("the exported state names no resource, so there is nothing to recover")


def _stack_config(stack: str, key: str) -> str | None:
    result = subprocess.run(["pulumi", "config", "get", key, "--stack", stack], capture_output=True, text=True)
    return result.stdout.strip() or None if result.returncode == 0 else None


def _file_backend_root(environ: Mapping[str, str]) -> Path | None:
    """The folder of a file:// state backend, from PULUMI_BACKEND_URL or Pulumi.yaml's backend.url."""
    url = environ.get("PULUMI_BACKEND_URL")
    if not url and Path("Pulumi.yaml").exists():
        project = yaml.safe_load(Path("Pulumi.yaml").read_text()) or {}
        url = ((project.get("backend") or {}).get("url")) if isinstance(project, dict) else None
    if not url or not url.startswith("file://"):
        return None
    return Path(urlsplit(url).path or "/")


def broken_state_sidecars(backend_root: Path, stack: str) -> list[Path]:
    """`.attrs` files beside a stack's state that are empty or cut off: what a kill mid-checkpoint leaves."""
    broken = []
    for sidecar in (backend_root / ".pulumi" / "stacks").glob(f"**/{stack}.json.attrs"):
        try:
            json.loads(sidecar.read_text())
        except ValueError:
            broken.append(sidecar)
    return broken


def _run(args: list[str]) -> str:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"`{' '.join(args)}` failed:\n{result.stderr.strip()}")
    return result.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastpix_provider.recover", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="the stack to recover (run from the project folder)")
    parser.add_argument("--apply", action="store_true", help="run the refresh commands instead of printing them")
    parser.add_argument("--delete-orphans", action="store_true", help="with --apply: delete orphaned media")
    parser.add_argument("--unlock", action="store_true",
                        help="with --apply: remove the killed run's lock (`pulumi cancel`); only if no run is going on")
    args = parser.parse_args(argv)

    backend_root = _file_backend_root(os.environ)
    for sidecar in broken_state_sidecars(backend_root, args.stack) if backend_root else []:
        if args.apply:
            sidecar.unlink()
            print(f"removed the broken state metadata file {sidecar}")
        else:
            print(f"would remove the broken state metadata file {sidecar}")
    if args.apply and args.unlock:
        unlocked = subprocess.run(["pulumi", "cancel", "--yes", "--stack", args.stack], capture_output=True, text=True)
        if unlocked.returncode == 0:
            print(f"removed the lock of stack {args.stack}")
        else:
            print(f"no lock removed: {unlocked.stderr.strip() or unlocked.stdout.strip()}")

    exported = json.loads(_run(["pulumi", "stack", "export", "--stack", args.stack]))
    deployment = exported.get("deployment") or {}
    settings = ProviderSettings.resolve({"fastpix:apiUrl": _stack_config(args.stack, "fastpix:apiUrl")}, os.environ)
    try:
        client = FastPixClient(settings.api_url, settings.credentials())
        plan = plan_recovery(deployment, client.list_media())
    except FastPixError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if plan.clean:
        print(f"{plan.project}/{plan.stack}: nothing to recover.")
        return 0
    for urn, found in plan.to_import.items():
        print(f"pending create {urn.rsplit('::', 1)[1]}: found media {found['id']}; importing it")
    for urn in plan.to_clear:
        print(f"pending create {urn.rsplit('::', 1)[1]}: no media was created; clearing it")
    for orphan in plan.orphans:
        print(f"orphan: media {orphan['id']} ({orphan.get('metadata', {}).get(OWNER_METADATA_KEY)}) is in no state")
    if plan.edits_state:
        if args.apply:
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as repaired:
                json.dump({**exported, "deployment": plan.repaired(deployment)}, repaired)
            try:
                _run(["pulumi", "stack", "import", "--stack", args.stack, "--file", repaired.name])
            finally:
                os.unlink(repaired.name)
            _run(["pulumi", "refresh", "--yes", "--skip-preview", "--stack", args.stack])
            print(f"imported {len(plan.to_import)} media into the state and refreshed them from FastPix")
        else:
            print(f"would import {len(plan.to_import)} media into the state of {args.stack} and refresh them")
    if plan.orphans:
        if args.apply and args.delete_orphans:
            for orphan in plan.orphans:
                client.delete_media(str(orphan["id"]))
                print(f"deleted orphan {orphan['id']}")
        else:
            print("orphans are kept; rerun with --apply --delete-orphans to delete them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
