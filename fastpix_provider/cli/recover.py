"""Recover a stack after a `pulumi up` that died mid-run: `fastpix-recover --stack dev`.

A run killed while creating media leaves two kinds of loose ends:

- *pending creates*: the engine recorded that it asked for a media but never learned its id. The
  media may exist in FastPix. Each media this provider creates carries the reserved metadata entry
  `fastpix-pulumi: <project>/<stack>/<resource>#<nonce>@<stack id>`, so the media can be found and put
  back into the stack's state as the resource it was created for (`pulumi stack import`, then
  `pulumi refresh` reads it from FastPix): it is managed again, without a new upload. Pending creates
  whose media never came to be are dropped. (Pulumi's own `refresh --import-pending-creates` only
  relabels the pending operation in 3.260 and the resource is then lost, so the state is edited here.)
  Media tagged by 0.1.0 (`<project>/<stack>/<resource>#<nonce>`) are still found.
- *orphans*: media whose tag carries this stack's id, that neither the state nor a pending create
  knows (for example a create whose answer and pending record were both lost). `--delete-orphans`
  deletes them, and only them. Never deleted, only reported:
  - media *released* by `retainOnDelete` (their tag ends in `!kept`): kept in FastPix on purpose;
  - media whose tag names this project and stack but does not prove it is this stack's: tagged by
    0.1.0 (whose tags name neither backend nor organisation), or carrying another stack id (a stack of
    the same name in another backend or organisation sharing the workspace).

This stack's id is the one its state records (each media's `stack_id` input); when the state records
none, it is computed from the backend (PULUMI_BACKEND_URL, Pulumi.yaml or `pulumi login`), the
organisation (of `--stack org/project/stack`, else `organization` on a DIY backend, else
`pulumi org get-default`), the project and the stack, as the provider computes it.

After a killed run of the *fast mode* (`PULUMI_SKIP_CHECKPOINTS=true pulumi up`, which writes the
state only when the run ends), `--reconcile` does the rest: it also refreshes, through the provider,
the resources whose media FastPix no longer lists or lists with other values (a lost delete or
update), and with `--apply` deletes this stack's provable orphans (a lost create, the new half of a
lost replace), so that the next `pulumi up` converges on the catalog. See fastpix_provider/cli/reconcile.py
for each kind of lost step, and its one limit (`retainOnDelete` entries).

A killed run can also leave the stack locked (`--unlock` runs `pulumi cancel`, so use it only when no
other run is going on) and, on a file:// backend, an empty or cut-off `.attrs` sidecar beside the
stack's state file that makes Pulumi fail with "failed to load checkpoint: EOF" (the kill fell
between writing the state and its metadata); `--apply` removes that one file (it holds no state),
and only for the stack named by `--stack`.

Before it imports a repaired state, `--apply` saves the state as exported to
`.fastpix-recover/<stack>-<UTC time>.json` in the project folder (readable by its owner only) and
prints how to put it back. Without `--apply` it only reports what it found and the commands it would
run. Credentials come from FASTPIX_USERNAME and FASTPIX_PASSWORD and the API URL from the stack's
`fastpix:apiUrl` or FASTPIX_API_URL, as for the provider.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ..client import FastPixClient
from ..errors import FastPixError, NotFoundError
from ..owner import OWNER_METADATA_KEY, OwnerTag, current_backend_url, normalize_backend_url, owner_path, stack_id_for
from ..settings import ProviderSettings
from . import MEDIA_TYPE_SUFFIX

CHECK_FOUND_WORK = 3  # the exit status of --check when there is something to recover
BACKUP_FOLDER = ".fastpix-recover"
# What the DIY (file://, s3://...) backends call every stack's organisation.
DIY_ORGANIZATION = "organization"
# One part of `--stack [org/[project/]]stack`: what Pulumi allows in names, so never a glob or a path.
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def _is_name(text: str) -> bool:
    return bool(_NAME.match(text)) and text not in (".", "..")


@dataclass(frozen=True)
class Unproven:
    """A media whose tag names this project and stack but does not prove it is this stack's."""

    media: dict[str, Any]
    reason: str


@dataclass
class RecoveryPlan:
    project: str
    stack: str
    stack_id: str | None = None  # this stack's id, None when it cannot be known
    to_import: dict[str, dict[str, Any]] = field(default_factory=dict)  # urn of a pending create -> its media
    to_clear: list[str] = field(default_factory=list)  # urns of pending creates with no media
    orphans: list[dict[str, Any]] = field(default_factory=list)  # provably this stack's and not kept
    released: list[dict[str, Any]] = field(default_factory=list)  # kept by retainOnDelete: never deleted
    unproven: list[Unproven] = field(default_factory=list)  # never deleted

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
                outputs = {**(state.get("inputs") or {}), "media_id": found["id"],
                           "owner_tag": (found.get("metadata") or {}).get(OWNER_METADATA_KEY)}
                if found.get("workspaceId"):
                    outputs["workspace_id"] = found["workspaceId"]
                state["outputs"] = outputs
                resources.append(state)
            elif op.get("type") == "creating" and urn in self.to_clear:
                continue
            else:
                kept_ops.append(op)
        fixed["resources"] = resources
        fixed["pending_operations"] = kept_ops
        return fixed


def _media_resources(deployment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in deployment.get("resources") or [] if str(r.get("type", "")).endswith(MEDIA_TYPE_SUFFIX)]


def _pending_creates(deployment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [op["resource"] for op in deployment.get("pending_operations") or []
            if op.get("type") == "creating" and str(op["resource"].get("type", "")).endswith(MEDIA_TYPE_SUFFIX)]


def recorded_stack_ids(deployment: Mapping[str, Any]) -> set[str]:
    """The stack ids the state records: the `stack_id` input of its media and of its pending creates."""
    ids = set()
    for resource in [*_media_resources(deployment), *_pending_creates(deployment)]:
        for values in (resource.get("inputs"), resource.get("outputs")):
            value = values.get("stack_id") if isinstance(values, Mapping) else None
            if isinstance(value, str) and value:
                ids.add(value)
    return ids


def this_stack_id(deployment: Mapping[str, Any], computed: str | None) -> tuple[str | None, str]:
    """This stack's id and where it comes from: the state when it records one, else `computed`.

    A state recording several ids (a renamed stack, a copied state) proves none of them, unless one is
    the id computed for this stack now.
    """
    recorded = recorded_stack_ids(deployment)
    if len(recorded) == 1:
        return next(iter(recorded)), "recorded in the state"
    if not recorded:
        return computed, "computed from the backend, organisation, project and stack"
    if computed in recorded:
        return computed, "computed, and among the ids the state records"
    return None, f"the state records several stack ids ({', '.join(sorted(recorded))}), none of them this stack's"


def plan_recovery(deployment: Mapping[str, Any], workspace_media: Iterable[Mapping[str, Any]], *,
                  stack_id: str | None = None, project: str | None = None, stack: str | None = None) -> RecoveryPlan:
    """Match the media tagged for a stack with what its state records and what it left pending.

    `stack_id` is this stack's id when the state records none (see `this_stack_id`); `project` and
    `stack` name the stack when its state names no resource.
    """
    resources = _media_resources(deployment)
    pending = _pending_creates(deployment)
    stack_name, project_name = _stack_and_project([r["urn"] for r in resources + pending], deployment, project, stack)
    ours, _ = this_stack_id(deployment, stack_id)
    plan = RecoveryPlan(project=project_name, stack=stack_name, stack_id=ours)
    recorded = {r["id"] for r in resources if r.get("id")}
    prefix = owner_path(project_name, stack_name, "")
    pending_by_path: dict[str, list[tuple[str, str | None]]] = {}
    for op in pending:
        inputs = op.get("inputs") or {}
        path = inputs.get("owner") or owner_path(project_name, stack_name, op["urn"].rsplit("::", 1)[1])
        op_stack_id = inputs.get("stack_id") if isinstance(inputs.get("stack_id"), str) else None
        pending_by_path.setdefault(str(path), []).append((op["urn"], op_stack_id))
    for item in workspace_media:
        tag = OwnerTag.of_media(item)
        if tag is None or item.get("id") in recorded:
            continue
        urn = _pending_create_of(tag, pending_by_path, plan)
        if urn is not None:
            plan.to_import[urn] = dict(item)
        elif tag.stack_id is not None and tag.stack_id == ours and tag.path.startswith(prefix):
            (plan.released if tag.kept else plan.orphans).append(dict(item))
        elif tag.path.startswith(prefix):
            plan.unproven.append(Unproven(dict(item), _why_unproven(tag, ours)))
        # Tags naming another project or stack belong to other stacks: not this recovery's business.
    pending_urns = [urn for entries in pending_by_path.values() for urn, _ in entries]
    plan.to_clear = [urn for urn in pending_urns if urn not in plan.to_import]
    return plan


def _pending_create_of(tag: OwnerTag, pending_by_path: Mapping[str, list[tuple[str, str | None]]],
                       plan: RecoveryPlan) -> str | None:
    """The pending create this media was made for: same owner path and, where both record one, same stack id.

    A pending create recorded with a stack id was sent by a provider that writes the id into the tag,
    so only a tag with that id can be its media. One without (left by 0.1.0) matches a 0.1.0 tag by
    path, or a tag with this stack's id; never a tag with another stack's id.
    """
    for urn, op_stack_id in pending_by_path.get(tag.path, []):
        if urn in plan.to_import:
            continue  # already found: a second media of the same create stays an orphan (or unproven)
        expected = op_stack_id if op_stack_id is not None else plan.stack_id
        if tag.stack_id == expected or (op_stack_id is None and tag.stack_id is None):
            return urn
    return None


def _why_unproven(tag: OwnerTag, ours: str | None) -> str:
    if tag.stack_id is None:
        return "tagged in the 0.1.0 format, which names neither the backend nor the organisation"
    if ours is None:
        return f"tagged by stack id {tag.stack_id}, and this stack's id is unknown"
    kept = ", released by retainOnDelete" if tag.kept else ""
    return (f"tagged by stack id {tag.stack_id}{kept}: a stack of the same name in another backend or organisation "
            f"(this stack's id is {ours})")


def _stack_and_project(urns: list[str], deployment: Mapping[str, Any], project: str | None,
                       stack: str | None) -> tuple[str, str]:
    for resource in [*urns, *(r.get("urn", "") for r in deployment.get("resources") or [])]:
        parts = str(resource).split("::")
        if len(parts) >= 3 and parts[0].startswith("urn:pulumi:"):
            return parts[0][len("urn:pulumi:"):], parts[1]
    if project and stack:
        return stack, project
    raise ValueError("the exported state names no resource, so there is nothing to recover")


# -- the stack named on the command line --------------------------------------------------------------

@dataclass(frozen=True)
class StackRef:
    """`--stack` as given: `stack`, `org/stack` or `org/project/stack`; never a pattern or a path."""

    text: str
    name: str
    organization: str | None = None
    project: str | None = None

    @classmethod
    def parse(cls, text: str) -> StackRef:
        parts = text.split("/")
        if len(parts) > 3 or not all(_is_name(part) for part in parts):
            raise ValueError(f"--stack takes a stack name, org/stack or org/project/stack (letters, digits, '-', '_' "
                             f"and '.'), not a pattern or a path; got {text[:100]!r}")
        if len(parts) == 3:
            return cls(text, parts[2], organization=parts[0], project=parts[1])
        if len(parts) == 2:
            return cls(text, parts[1], organization=parts[0])
        return cls(text, parts[0])


def organization_of(ref: StackRef, backend_url: str) -> str:
    """The organisation the provider sees as `pulumi.get_organization()` for this stack."""
    if ref.organization:
        return ref.organization
    if not backend_url.startswith(("https://", "http://")):
        return DIY_ORGANIZATION
    result = subprocess.run(["pulumi", "org", "get-default"], capture_output=True, text=True)
    default = result.stdout.strip() if result.returncode == 0 else ""
    if not default:
        raise SystemExit("cannot tell this stack's organisation: name it in --stack org/project/stack")
    return default


def project_name(project_dir: Path) -> str | None:
    """The `name` of the project in Pulumi.yaml."""
    for name in ("Pulumi.yaml", "Pulumi.yml"):
        try:
            settings = yaml.safe_load((project_dir / name).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(settings, dict) and isinstance(settings.get("name"), str):
            return str(settings["name"])
    return None


# -- the file backend's checkpoint sidecar ------------------------------------------------------------

def file_backend_root(backend_url: str) -> Path | None:
    """The folder of a file:// state backend, or None for any other backend."""
    if not backend_url.startswith("file://"):
        return None
    return Path(normalize_backend_url(backend_url.split("?", 1)[0])[len("file://"):])


def state_sidecars(backend_root: Path, project: str | None, stack: str) -> list[Path]:
    """The `.attrs` files that can sit beside this one stack's state file: exact paths, no glob.

    A DIY backend keeps a stack at `.pulumi/stacks/<project>/<stack>.json` (project-scoped, what
    `.pulumi/meta.yaml` version 1 says) or `.pulumi/stacks/<stack>.json` (the older layout); `.json.gz`
    when it compresses.
    """
    if not _is_name(stack) or (project is not None and not _is_name(project)):
        raise ValueError("a stack or project name must not be a pattern or a path")
    stacks = backend_root / ".pulumi" / "stacks"
    folders = [stacks / project] if project and _project_scoped(backend_root) else [stacks]
    return [folder / f"{stack}{suffix}.attrs" for folder in folders for suffix in (".json", ".json.gz")]


def _project_scoped(backend_root: Path) -> bool:
    try:
        meta = yaml.safe_load((backend_root / ".pulumi" / "meta.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return False
    version = meta.get("version") if isinstance(meta, dict) else None
    return isinstance(version, int) and version >= 1


def broken_state_sidecars(backend_root: Path, project: str | None, stack: str) -> list[Path]:
    """This stack's `.attrs` sidecars that are empty or cut off: what a kill mid-checkpoint leaves."""
    broken = []
    for sidecar in state_sidecars(backend_root, project, stack):
        try:
            json.loads(sidecar.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, ValueError):
            broken.append(sidecar)
    return broken


# -- backup -------------------------------------------------------------------------------------------

def write_backup(exported: Mapping[str, Any], project_dir: Path, stack: str, now: datetime | None = None) -> Path:
    """Save the state as exported before this tool changes it; only its owner can read the file."""
    folder = project_dir / BACKUP_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stack}-{stamp}.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(exported, out)
    return path


# -- the command --------------------------------------------------------------------------------------

def _stack_config(stack: str, key: str) -> str | None:
    result = subprocess.run(["pulumi", "config", "get", key, "--stack", stack], capture_output=True, text=True)
    return result.stdout.strip() or None if result.returncode == 0 else None


def _run(args: list[str]) -> str:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"`{' '.join(args)}` failed:\n{result.stderr.strip()}")
    return result.stdout


def _tag_of(item: Mapping[str, Any]) -> str:
    return str((item.get("metadata") or {}).get(OWNER_METADATA_KEY))[:300]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fastpix-recover", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True,
                        help="the stack to recover: stack, org/stack or org/project/stack (run from the project folder)")
    parser.add_argument("--apply", action="store_true", help="run the refresh commands instead of printing them")
    parser.add_argument("--delete-orphans", action="store_true",
                        help="with --apply: delete the media that provably are this stack's orphans")
    parser.add_argument("--reconcile", action="store_true",
                        help="after a killed run of the fast mode (PULUMI_SKIP_CHECKPOINTS): also refresh the resources "
                             "whose media FastPix no longer lists or lists with other values, and, with --apply, delete "
                             "this stack's provable orphans (see fastpix_provider/cli/reconcile.py)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 3 when a killed run left what only recovery puts right (a broken "
                             "state file, pending creates, this stack's orphans): what `fastpix-pipeline apply` asks "
                             "before a fast-mode run. Media edited or deleted outside the run are not counted: "
                             "`pulumi up --refresh` puts those right")
    parser.add_argument("--unlock", action="store_true",
                        help="with --apply: remove the killed run's lock (`pulumi cancel`); only if no run is going on")
    args = parser.parse_args(argv)
    if args.check and args.apply:
        parser.error("--check changes nothing; drop --apply")
    try:
        ref = StackRef.parse(args.stack)
    except ValueError as error:
        parser.error(str(error))
    project_dir = Path.cwd()
    project = ref.project or project_name(project_dir)
    backend_url = current_backend_url(os.environ, project_dir)

    backend_root = file_backend_root(backend_url)
    try:
        broken = broken_state_sidecars(backend_root, project, ref.name) if backend_root else []
    except ValueError as error:
        print(f"error: the project name in Pulumi.yaml: {error}", file=sys.stderr)
        return 2
    for sidecar in broken:
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
    computed: str | None = None
    if not recorded_stack_ids(deployment) and project:
        computed = stack_id_for(backend_url, organization_of(ref, backend_url), project, ref.name)
    settings = ProviderSettings.resolve({"fastpix:apiUrl": _stack_config(args.stack, "fastpix:apiUrl")}, os.environ)
    try:
        client = FastPixClient(settings.api_url, settings.credentials())
        listing = list(client.list_media())
        plan = plan_recovery(deployment, listing, stack_id=computed, project=project, stack=ref.name)
    except FastPixError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _, source = this_stack_id(deployment, computed)
    print(f"{plan.project}/{plan.stack}: stack id {plan.stack_id or 'unknown'} ({source})")
    _report(plan)
    stale = _stale(deployment, listing) if args.reconcile else []
    if args.check and (broken or not plan.clean):
        print(f"{plan.project}/{plan.stack}: an interrupted run left media or state behind; put it right with "
              f"`fastpix-recover --stack {args.stack} --reconcile --apply --unlock` (once no run is going on), "
              "then run again", file=sys.stderr)
        return CHECK_FOUND_WORK
    if plan.clean and not stale:
        print(f"{plan.project}/{plan.stack}: nothing to recover.")
        return 0
    if plan.edits_state:
        if args.apply:
            backup = write_backup(exported, project_dir, ref.name)
            print(f"saved the state as it was in {backup}; to put it back: "
                  f"pulumi stack import --stack {args.stack} --file {backup}")
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as repaired:
                json.dump({**exported, "deployment": plan.repaired(deployment)}, repaired)
            try:
                _run(["pulumi", "stack", "import", "--stack", args.stack, "--file", repaired.name])
            finally:
                os.unlink(repaired.name)
            _run(["pulumi", "refresh", "--yes", "--skip-preview", "--stack", args.stack])
            print(f"imported {len(plan.to_import)} media into the state and refreshed them from FastPix")
            stale = []  # the whole stack was just refreshed
        else:
            print(f"would import {len(plan.to_import)} media into the state of {args.stack} and refresh them "
                  f"(after saving the state to {BACKUP_FOLDER}/)")
    if stale:
        _refresh_stale(stale, args.stack, apply=args.apply)
    if plan.orphans:
        if args.apply and (args.delete_orphans or args.reconcile):
            return _delete_orphans(client, plan)
        print("orphans are kept; rerun with --apply --delete-orphans to delete them")
    return 0


def _stale(deployment: Mapping[str, Any], listing: list[dict[str, Any]]) -> list[Any]:
    from .reconcile import stale_resources  # reconcile imports this module

    return stale_resources(deployment, listing)


def _refresh_stale(stale: list[Any], stack: str, *, apply: bool) -> None:
    """Refresh only the resources a lost step left stale: the provider proves a 404 before it drops one."""
    for item in stale:
        what = "FastPix lists no media of that id" if item.reason == "gone" else "FastPix holds other values"
        print(f"stale: {item.urn.rsplit('::', 1)[1]} (media {item.media_id}): {what}; refreshing it")
    if not apply:
        print(f"would refresh {len(stale)} resource(s) of {stack}")
        return
    targets = [arg for item in stale for arg in ("--target", item.urn)]
    _run(["pulumi", "refresh", "--yes", "--skip-preview", "--stack", stack, *targets])
    print(f"refreshed {len(stale)} resource(s) from FastPix")


def _report(plan: RecoveryPlan) -> None:
    for urn, found in plan.to_import.items():
        print(f"pending create {urn.rsplit('::', 1)[1]}: found media {found['id']}; importing it")
    for urn in plan.to_clear:
        print(f"pending create {urn.rsplit('::', 1)[1]}: no media was created; clearing it")
    for orphan in plan.orphans:
        print(f"orphan: media {orphan['id']} ({_tag_of(orphan)}) is in no state")
    for kept in plan.released:
        print(f"released (kept by retainOnDelete): media {kept['id']} ({_tag_of(kept)}); never deleted")
    for unproven in plan.unproven:
        print(f"not provably this stack's: media {unproven.media['id']} ({_tag_of(unproven.media)}): "
              f"{unproven.reason}; never deleted")


def _delete_orphans(client: FastPixClient, plan: RecoveryPlan) -> int:
    for orphan in plan.orphans:
        try:
            client.delete_media(str(orphan["id"]))
        except NotFoundError as error:
            if error.fastpix_envelope:  # FastPix's own word, not a router's 404 before it
                print(f"orphan {orphan['id']} was already gone")
                continue
            print(f"error: deleting orphan {orphan['id']} failed, the remaining orphans are kept: {error}",
                  file=sys.stderr)
            return 1
        except FastPixError as error:
            print(f"error: deleting orphan {orphan['id']} failed, the remaining orphans are kept: {error}",
                  file=sys.stderr)
            return 1
        print(f"deleted orphan {orphan['id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
