"""The dynamic provider behind `Media`: check, diff, create, read, update and delete one FastPix media.

Its module path and class name (`fastpix_provider.provider.MediaProvider`) are recorded in every stack
state that holds a Media: renaming either breaks refresh, update and delete of existing media.

The instance that Pulumi pickles into state carries nothing (see __getstate__): credentials arrive in
`configure` on the provider process, and the HTTP client lives in a per-process cache.

What the provider believes. A media is irreplaceable (a new one has new playback ids), so the
provider concludes that a media is gone only when FastPix itself says so, in its own error envelope,
to the workspace the media was created in (see `confirm_gone`); and it sends a create again only
after a search by the create's owner tag found nothing (see `_create`).
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from . import diagnostics, media, uploads
from ._provider_base import FastPixProvider
from .client import FastPixClient
from .errors import (
    FastPixError,
    NotFoundError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from .owner import OwnerTag

DEFAULT_READY_TIMEOUT_SECONDS = 20 * 60
UPLOAD_TO_MEDIA_TIMEOUT_SECONDS = 10 * 60.0
READY_POLL_SECONDS = 1.0
RECOVER_COMMAND = "fastpix-recover --stack <stack>"

# The workspace each client's credentials belong to, once FastPix has shown it (see confirm_gone).
_workspaces: dict[int, str] = {}


class WorkspaceNotProvenError(FastPixError):
    """FastPix answered 404 for a media, but nothing proves it was asked in the media's workspace."""


class MediaMayExistError(FastPixError):
    """A create failed in a way after which FastPix may still have made the media."""


class AdoptionRefusedError(FastPixError):
    """The media to adopt is managed by another stack or resource."""


F = TypeVar("F", bound=Callable[..., Any])


def _plain_errors(method: F) -> F:
    """Show a FastPixError as its message alone: a traceback would only bury what to do."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except FastPixError as exc:
            raise exc.with_traceback(None) from None

    return wrapper  # type: ignore[return-value]


class MediaProvider(FastPixProvider):
    """Lifecycle of one FastPix media. Inputs and outputs use Python-style names; see media.py."""

    def __init__(self) -> None:
        super().__init__()
        self._storage_factory: Callable[[], httpx.Client] = uploads.storage_client

    # -- lifecycle ----------------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure(f.property, f.reason) for f in media.check_inputs(news)]
        if not any(f.property == "drm_configuration_id" for f in failures):
            failures += self._check_drm_configuration(news)
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        plan = media.plan_changes(olds, news)
        return DiffResult(
            changes=plan.has_changes,
            replaces=list(plan.replaces),
            stables=["media_id", "created_at", "workspace_id"],
            delete_before_replace=False,
        )

    @_plain_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        upload_id = None
        if props.get("adopt_id"):
            found, tag = self._adopt(props)
        elif props.get("file_path"):
            found, tag, upload_id = self._create_from_file(props)
        else:
            found, tag = self._create(props)
        if props.get("wait_for_ready"):
            found = self._wait_until_ready(found, props)
        outputs = self._outputs(props, found, tag, workspace_id=self._workspace_of_new(found))
        outputs["upload_id"] = upload_id
        return CreateResult(found["id"], outputs)

    @_plain_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = self._client()
        try:
            found = client.get_media(id_)
        except NotFoundError:
            confirm_gone(client, id_, props, action="refresh")
            diagnostics.warn(f"FastPix media {id_} no longer exists in workspace {props.get('workspace_id')}; "
                             "refresh removes it from the stack's state")
            return ReadResult("", {})
        observed = media.observed_inputs(found, _inputs_only(props))
        observed_tag = OwnerTag.of_media(found)
        tag = observed_tag.render() if observed_tag else props.get("owner_tag")
        return ReadResult(id_, self._outputs(observed, found, tag, props), observed)

    @_plain_errors
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        plan = media.plan_changes(olds, news)
        tag = _updated_tag(olds.get("owner_tag"), news)
        client = self._client()
        latest = _apply_in_place(client, id_, plan.calls, news, tag) or client.get_media(id_)
        return UpdateResult(self._outputs(news, latest, tag, olds))

    @_plain_errors
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = self._client()
        try:
            client.delete_media(id_)
        except NotFoundError:
            confirm_gone(client, id_, props, action="delete")
            diagnostics.warn(f"FastPix media {id_} was already deleted; nothing left to delete")

    # -- create -------------------------------------------------------------------------------------

    def _create(self, props: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """POST the media without ever creating it twice (see _send_once)."""
        client = self._client()
        tag = _new_tag(props)
        body = media.create_body(_tagged(props, tag))
        found, _ = self._send_once(
            client, tag, lambda: client.create_media(body),
            lambda since: client.find_media(lambda item: _tag_of(item) == tag, created_since=since), what="media")
        return found, tag

    def _send_once(self, client: FastPixClient, tag: str | None, send: Callable[[], dict[str, Any]],
                   find: Callable[[datetime], dict[str, Any] | None], *, what: str) -> tuple[dict[str, Any], bool]:
        """Send a create (of a media or an upload) without ever making two; (result, found after a lost answer).

        A POST that failed after it may have reached FastPix (a lost answer, any 5xx, an answer that is
        not FastPix's) is sent again, or given up, only once a search for what it would have created
        found nothing: the owner tag carries a nonce unique to this create, so the search cannot
        mistake another media for it. A search that cannot run stops the create with a message that a
        media may exist.
        """
        started = datetime.now(UTC)
        attempt = 1
        while True:
            try:
                return send(), False
            except TransportError as exc:
                if not exc.request_sent:
                    raise  # FastPix never saw it, and the client already retried it: FastPix is unreachable
                failure: FastPixError = exc
            except RateLimitedError:
                raise  # turned away before it was acted on; the client already waited and retried
            except (ServerError, ProtocolError) as exc:
                failure = exc
            # FastPix may have made it: look before anything else.
            existing = self._find_created(find, tag, started, failure)
            if existing is not None:
                shown = existing.get("id") or existing.get("uploadId")
                diagnostics.warn(f"the create answer was lost, but FastPix created {what} {shown}; using it")
                return existing, True
            # Judged as a GET: the search before every retry makes sending it again safe, and every
            # failure that reaches here (a 5xx, a lost answer, an answer not FastPix's) is one a GET retries.
            if not client.policy.should_retry("GET", attempt):
                raise failure
            wait = client.policy.delay(attempt, getattr(failure, "retry_after", None))
            diagnostics.warn(f"{failure}; FastPix holds no {what} of this create, so creating again in {wait:.1f}s")
            self._sleep(wait)
            attempt += 1

    @staticmethod
    def _find_created(find: Callable[[datetime], dict[str, Any] | None], tag: str | None, started: datetime,
                      failure: FastPixError) -> dict[str, Any] | None:
        if tag is None:
            raise MediaMayExistError(
                f"{failure}. FastPix may have created the media, and it carries no owner tag to find it by; "
                "look for it in the FastPix dashboard before running again."
            )
        try:
            return find(started)
        except FastPixError as exc:
            raise MediaMayExistError(
                f"{failure}. FastPix may have created the media, and the search for it failed too ({exc}). "
                f"Before running again, find it with `{RECOVER_COMMAND}` (it looks for media tagged {tag!r})."
            ) from None

    # -- create from a local file -------------------------------------------------------------------

    def _create_from_file(self, props: dict[str, Any]) -> tuple[dict[str, Any], str | None, str]:
        """Upload a local file: ask for a direct upload, send the bytes, wait for the upload to become a media.

        The owner tag is in the upload's media settings: a lost answer finds the upload again (listed
        while it waits for bytes), and the media it becomes carries the tag, so `recover` finds media of
        a killed run. Uploads a killed run of this resource left waiting are cancelled first. An upload
        that cannot be finished is cancelled (or, if it became a media after all, that media deleted):
        a failed create leaves nothing behind. Returns (media, tag, upload id).
        """
        client = self._client()
        path = Path(str(props["file_path"]))
        tag = _new_tag(props)
        self._cancel_abandoned_uploads(client, tag)
        body = media.upload_body(_tagged(props, tag))
        upload, found_again = self._send_once(
            client, tag, lambda: client.create_upload(body),
            lambda _since: next((u for u in client.list_uploads() if _upload_tag_of(u) == tag), None),
            what="upload")
        upload_id = str(upload["uploadId"])
        urn = props.get("log_urn") if isinstance(props.get("log_urn"), str) else None
        name = str(props.get("file") or path.name)
        try:
            url = _upload_url(upload["url"], client.api_url)
            with self._storage_factory() as http:
                digest = uploads.send_file(
                    http, url, path, policy=client.policy, sleep=self._sleep, resume=found_again,
                    on_progress=uploads.ProgressReport(lambda text: diagnostics.info(text, urn), name),
                    on_retry=lambda text: diagnostics.warn(text, urn))
            created = self._wait_for_upload(client, upload_id)
        except BaseException as exc:
            self._abandon_upload(client, upload_id, exc)
            raise
        declared = props.get("file_digest")
        if declared and digest != declared:
            self._abandon_upload(client, upload_id, None)
            raise FastPixError(
                f"{name} changed while it was being uploaded (or since the preview): its bytes no longer have the "
                f"digest the program computed ({declared}). The media was deleted; run `pulumi up` again."
            )
        return created, tag, upload_id

    def _wait_for_upload(self, client: FastPixClient, upload_id: str) -> dict[str, Any]:
        """The media an upload became: FastPix answers it by the upload id once the bytes are processed in."""
        deadline = time.monotonic() + UPLOAD_TO_MEDIA_TIMEOUT_SECONDS
        while True:
            try:
                return client.get_media(upload_id)
            except NotFoundError:
                if time.monotonic() >= deadline:
                    raise FastPixError(
                        f"upload {upload_id} took every byte but did not become a media within "
                        f"{UPLOAD_TO_MEDIA_TIMEOUT_SECONDS:.0f}s; it was cancelled. Run `pulumi up` again."
                    ) from None
            self._sleep(READY_POLL_SECONDS)

    def _abandon_upload(self, client: FastPixClient, upload_id: str, cause: BaseException | None) -> None:
        """Cancel an upload that will not be recorded; if it became a media already, delete that media."""
        try:
            client.cancel_upload(upload_id)
            return
        except FastPixError:
            pass  # no longer waiting (a media already), or FastPix unreachable: try the media
        try:
            client.delete_media(upload_id)  # FastPix takes the upload id for the media it became
        except NotFoundError:
            pass
        except FastPixError as exc:
            diagnostics.warn(f"could not cancel upload {upload_id} after {cause or 'a failed upload'} ({exc}); "
                             f"`{RECOVER_COMMAND}` lists a media it became, by its owner tag")

    def _cancel_abandoned_uploads(self, client: FastPixClient, tag: str | None) -> None:
        """Cancel uploads of this very resource (same owner path and stack id) still waiting for bytes: only
        a killed run leaves them (the stack is locked while a run goes on, and one resource is created
        once at a time), and they would never become media."""
        ours = OwnerTag.parse(tag)
        if ours is None or ours.stack_id is None:
            return
        try:
            waiting = [u for u in client.list_uploads()
                       if (theirs := OwnerTag.parse(_upload_tag_of(u))) is not None
                       and theirs.belongs_to(ours.path, ours.stack_id) and theirs.nonce != ours.nonce]
            for upload in waiting:
                client.cancel_upload(str(upload["uploadId"]))
                diagnostics.warn(f"cancelled upload {upload['uploadId']}, left waiting by an earlier run")
        except FastPixError as exc:
            diagnostics.warn(f"could not look for uploads an earlier run left waiting ({exc}); continuing")

    # -- adopt --------------------------------------------------------------------------------------

    def _adopt(self, props: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """Take over an existing media: read it, refuse what cannot be changed, PATCH the rest."""
        client = self._client()
        media_id = str(props["adopt_id"])
        try:
            found = client.get_media(media_id)
        except NotFoundError:
            raise FastPixError(
                f"adopt_id {media_id} does not name a media in this FastPix workspace; "
                "check the id (and the credentials' workspace) or remove adopt_id to create a new media"
            ) from None
        _refuse_foreign_owner(found, props)
        observed = media.observed_inputs(found, _inputs_only(props))
        plan = media.plan_changes(observed, props)
        fixed = [name for name in plan.replaces if name not in ("url", "drm_configuration_id")]
        if fixed:
            details = ", ".join(f"{name} is {media.echo(observed.get(name))}, declared {media.echo(props.get(name))}"
                                for name in fixed)
            raise FastPixError(
                f"cannot adopt media {media_id}: FastPix cannot change {details}. "
                "Declare the media's actual values to adopt it."
            )
        tag = _new_tag(props)
        # The PATCH of title/creator/metadata always runs: it puts the owner tag on the adopted media.
        calls = tuple(dict.fromkeys(("update", *plan.calls)))
        return _apply_in_place(client, media_id, calls, props, tag) or found, tag

    # -- wait ---------------------------------------------------------------------------------------

    def _wait_until_ready(self, created: dict[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        client = self._client()
        timeout = float(props.get("ready_timeout_seconds") or DEFAULT_READY_TIMEOUT_SECONDS)
        deadline = time.monotonic() + timeout
        current = created
        while current.get("status") not in ("Ready", "Failed"):
            if time.monotonic() >= deadline:
                # A failed create is recorded nowhere: kept, the media would be an orphan.
                client.delete_media(created["id"])
                raise FastPixError(
                    f"media {created['id']} was still {current.get('status')} after {timeout:.0f}s of waiting, so it "
                    "was deleted. Raise the create timeout (customTimeouts.create, or waitForReady: false) and run again."
                )
            self._sleep(READY_POLL_SECONDS)
            current = client.get_media(created["id"])
        if current["status"] == "Failed":
            client.delete_media(created["id"])
            source = media.echo(props.get("url") or props.get("file"))
            raise FastPixError(
                f"FastPix could not process {source}: media {created['id']} ended Failed and was "
                "deleted. Check that the URL is public and points at a supported video file."
            )
        return current

    # -- DRM ----------------------------------------------------------------------------------------

    def _check_drm_configuration(self, news: Mapping[str, Any]) -> list[CheckFailure]:
        """A drm media's configuration id must be one of the workspace's; say which ones exist."""
        if news.get("access_policy") != "drm" or news.get("adopt_id"):
            return []
        declared = news.get("drm_configuration_id")
        if media.is_unknown(declared):
            return []
        try:
            available = self._client().list_drm_configuration_ids()
        except FastPixError as exc:
            diagnostics.warn(f"could not list the workspace's DRM configurations to check drm_configuration_id: {exc}")
            return [] if declared else [CheckFailure("drm_configuration_id", media.MISSING_DRM_CONFIGURATION)]
        if declared in available:
            return []
        listing = ", ".join(available[:10]) if available else "none: set one up in the FastPix dashboard first"
        said = f"{media.echo(declared)} is not one of them" if declared else "none is declared"
        return [CheckFailure("drm_configuration_id",
                             f"access_policy drm needs drm_configuration_id, the id of one of this workspace's DRM "
                             f"configurations ({listing}); {said}")]

    # -- outputs ------------------------------------------------------------------------------------

    def _workspace_of_new(self, created: Mapping[str, Any]) -> str | None:
        """The workspace a media just created or adopted lives in, recorded to prove a later 404.

        The live create answer leaves workspaceId out (captured create-media), so it is the workspace of
        the credentials that made it: one list call per provider process, remembered.
        """
        if isinstance(created.get("workspaceId"), str):
            return str(created["workspaceId"])
        try:
            return workspace_of(self._client())
        except FastPixError as exc:
            diagnostics.warn(f"could not record the workspace of media {created.get('id')} ({exc}); "
                             "a later refresh records it")
            return None

    @staticmethod
    def _outputs(inputs: Mapping[str, Any], found: Mapping[str, Any], tag: str | None,
                 previous: Mapping[str, Any] | None = None, *, workspace_id: str | None = None) -> dict[str, Any]:
        outs = {**_inputs_only(inputs), **media.outputs_from_api(found)}
        outs["owner_tag"] = tag
        outs["upload_id"] = (previous or {}).get("upload_id")  # set by create for a media from a file
        # Answers that leave workspaceId out (PATCH) keep the one recorded when the media was created.
        if not outs.get("workspace_id"):
            outs["workspace_id"] = workspace_id or (previous or {}).get("workspace_id")
        return outs


# -- is it really gone? -----------------------------------------------------------------------------


def confirm_gone(client: FastPixClient, media_id: str, props: Mapping[str, Any], *, action: str) -> None:
    """Return only when FastPix's 404 for `media_id` provably came from the media's own workspace.

    A 404 in FastPix's envelope proves little on its own: credentials of another workspace get the
    same answer for every media of this one. So the workspace recorded when the media was created
    must be the one these credentials list media of. Anything less raises, and the engine keeps the
    media in the state.
    """
    recorded = props.get("workspace_id")
    try:
        current = workspace_of(client)
    except FastPixError as exc:
        raise WorkspaceNotProvenError(
            f"FastPix answered that media {media_id} does not exist, but listing the workspace's media to confirm "
            f"it failed ({exc}). Nothing was changed; the media stays in the stack's state."
        ) from None
    if recorded and current == recorded:
        return
    what = "removed from the state" if action == "refresh" else "considered deleted"
    if recorded and current:
        cause = (f"these credentials belong to FastPix workspace {current}, but the media was created in workspace "
                 f"{recorded}: FASTPIX_USERNAME/FASTPIX_PASSWORD are most likely another workspace's")
    elif recorded:
        cause = (f"the media was created in workspace {recorded}, and these credentials list no media at all, so "
                 "nothing shows which workspace they belong to: they may be another (empty) workspace's")
    else:
        cause = ("the stack's state does not record the media's workspace (it was created by fastpix-pulumi 0.1.0 "
                 "and not refreshed since), so a 404 cannot be told apart from credentials of another workspace")
    raise WorkspaceNotProvenError(
        f"FastPix answered that media {media_id} does not exist, but it is not {what}: {cause}. "
        f"Check the credentials and the API URL ({client.api_url}). If the media really was deleted in FastPix, "
        "remove it from the state with `pulumi state delete <urn>`. Nothing was changed."
    )

def workspace_of(client: FastPixClient) -> str | None:
    """The workspace these credentials belong to, as their newest media shows it; remembered once known."""
    key = id(client)
    if key not in _workspaces:
        found = client.workspace_id_of_credentials()
        if found is None:
            return None  # not cached: a media created later shows the workspace
        _workspaces[key] = found
    return _workspaces[key]


def _apply_in_place(client: FastPixClient, media_id: str, calls: tuple[str, ...], inputs: Mapping[str, Any],
                    tag: str | None) -> dict[str, Any] | None:
    """Make the PATCH calls a change plan names; returns the media as the last of them answered."""
    latest = None
    if "update" in calls:
        latest = client.update_media(media_id, media.update_body(_tagged(inputs, tag)))
    if "source_access" in calls:
        latest = client.update_source_access(media_id, bool(inputs.get("source_access", False)))
    if "mp4_support" in calls:
        latest = client.update_mp4_support(media_id, inputs.get("mp4_support") or "none")
    return latest


def _inputs_only(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in media.COMPUTED_OUTPUTS and k != "__provider"}


def _new_tag(props: Mapping[str, Any]) -> str | None:
    """A fresh owner tag for a create or an adoption: a new nonce for each."""
    owner = props.get("owner")
    if not owner:
        return None
    return OwnerTag(path=str(owner), nonce=secrets.token_hex(4), stack_id=_declared_stack_id(props),
                    kept=bool(props.get("retain_on_delete"))).render()


def _declared_stack_id(props: Mapping[str, Any]) -> str | None:
    stack_id = props.get("stack_id")
    return stack_id if isinstance(stack_id, str) else None


def _updated_tag(recorded: Any, news: Mapping[str, Any]) -> str | None:
    """The tag an update writes: the recorded one (same nonce), its `!kept` mark following retainOnDelete,
    and a 0.1.0 tag given the stack id the state now records."""
    old = OwnerTag.parse(recorded)
    if old is None:
        return recorded if isinstance(recorded, str) else _new_tag(news)
    stack_id = old.stack_id or _declared_stack_id(news)
    return OwnerTag(path=old.path, nonce=old.nonce, stack_id=stack_id, kept=bool(news.get("retain_on_delete"))).render()


def _refuse_foreign_owner(found: Mapping[str, Any], props: Mapping[str, Any]) -> None:
    """Two resources managing one media would delete it when either is removed: refuse, unless told."""
    claimed = OwnerTag.of_media(found)
    if claimed is None or props.get("take_over") is True:
        return
    ours_path = str(props.get("owner") or "")
    ours_stack = props.get("stack_id")
    same_path = claimed.path == ours_path
    same_stack = claimed.stack_id is None or not ours_stack or claimed.stack_id == ours_stack
    if same_path and same_stack:
        return  # this very resource adopted or created it before (a state restored from a backup, say)
    other = media.echo(claimed.path) + (f" (stack id {claimed.stack_id})" if claimed.stack_id else "")
    raise AdoptionRefusedError(
        f"cannot adopt media {found.get('id')}: it is managed by {other}, per its '{media.OWNER_METADATA_KEY}' "
        "metadata tag. Two stacks managing one media would delete it when either removes it. Remove it from "
        "that stack first (or mark it retainOnDelete there and remove it), or declare takeOver: true "
        "(take_over=True) to manage it here."
    )


def _tagged(props: Mapping[str, Any], tag: str | None) -> dict[str, Any]:
    return {**props, "owner": tag}


def _tag_of(item: Mapping[str, Any]) -> Any:
    return (item.get("metadata") or {}).get(media.OWNER_METADATA_KEY)


def _upload_tag_of(upload: Mapping[str, Any]) -> Any:
    settings = upload.get("pushMediaSettings")
    return _tag_of(settings) if isinstance(settings, Mapping) else None


def _upload_url(url: Any, api_url: str) -> str:
    """The upload URL FastPix handed out, if bytes may go there: https, or plain http on loopback when the
    API itself is on loopback (the emulator). The URL is signed: it is never shown in a message."""
    parts = urlsplit(str(url))
    if parts.scheme == "https" and parts.hostname:
        return str(url)
    if parts.scheme == "http" and media.is_loopback_url(str(url)) and media.is_loopback_url(api_url):
        return str(url)
    raise FastPixError(f"FastPix handed out an upload URL that is not https ({parts.scheme or 'no'} scheme, host "
                       f"{parts.hostname or 'none'}); nothing was sent")
