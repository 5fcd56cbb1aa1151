"""The dynamic provider behind `Media`: check, diff, create, read, update and delete one FastPix media.

Its module path and class name (`fastpix_provider.provider.MediaProvider`) are recorded in every stack
state that holds a Media: renaming either breaks refresh, update and delete of existing media.

The instance that Pulumi pickles into state carries nothing (see __getstate__): credentials arrive in
`configure` on the provider process, and the HTTP client lives in a per-process cache.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from . import diagnostics, media
from .client import FastPixClient
from .errors import FastPixError, NotFoundError, ServerError, TransportError
from .settings import ProviderSettings

DEFAULT_READY_TIMEOUT_SECONDS = 20 * 60
READY_POLL_SECONDS = 1.0

_clients: dict[tuple[str, str, str], FastPixClient] = {}
_clients_lock = threading.Lock()


def client_for(settings: ProviderSettings) -> FastPixClient:
    """One client, so one connection pool, per provider process and set of credentials."""
    credentials = settings.credentials()
    key = (settings.api_url, credentials.access_token_id, credentials.secret_key)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = FastPixClient(settings.api_url, credentials, on_retry=diagnostics.warn)
        return client


class MediaProvider(ResourceProvider):
    """Lifecycle of one FastPix media. Inputs and outputs use Python-style names; see media.py."""

    # Nothing secret is ever captured in the pickled provider, so the engine need not encrypt it.
    serialize_as_secret_always = False

    def __init__(self) -> None:
        self._settings: ProviderSettings | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._settings = None

    # -- configuration ------------------------------------------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        self._settings = ProviderSettings.resolve({"fastpix:apiUrl": req.config.get("fastpix:apiUrl")}, os.environ)

    def _client(self) -> FastPixClient:
        settings = self._settings or ProviderSettings.resolve({}, os.environ)
        return client_for(settings)

    # -- lifecycle ----------------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure(f.property, f.reason) for f in media.check_inputs(news)]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        plan = media.plan_changes(olds, news)
        return DiffResult(
            changes=plan.has_changes,
            replaces=list(plan.replaces),
            stables=["media_id", "created_at"],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        try:
            if props.get("adopt_id"):
                found, tag = self._adopt(props)
            else:
                found, tag = self._create(props)
            if props.get("wait_for_ready"):
                found = self._wait_until_ready(found, props)
        except FastPixError as exc:
            raise exc.with_traceback(None) from None
        return CreateResult(found["id"], self._outputs(props, found, tag))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            found = self._client().get_media(id_)
        except NotFoundError:
            diagnostics.warn(f"FastPix media {id_} no longer exists; refresh removes it from the stack's state")
            return ReadResult("", {})
        except FastPixError as exc:
            raise exc.with_traceback(None) from None
        observed = media.observed_inputs(found, _inputs_only(props))
        return ReadResult(id_, self._outputs(observed, found, props.get("owner_tag")), observed)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        plan = media.plan_changes(olds, news)
        tag = olds.get("owner_tag")
        client = self._client()
        try:
            latest = _apply_in_place(client, id_, plan.calls, news, tag) or client.get_media(id_)
        except FastPixError as exc:
            raise exc.with_traceback(None) from None
        return UpdateResult(self._outputs(news, latest, tag))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        try:
            self._client().delete_media(id_)
        except NotFoundError:
            diagnostics.warn(f"FastPix media {id_} was already deleted; nothing left to delete")
        except FastPixError as exc:
            raise exc.with_traceback(None) from None

    # -- helpers ------------------------------------------------------------------------------------

    def _create(self, props: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """POST the media without ever creating it twice.

        A POST that failed after it may have reached FastPix (a dropped connection, a 5xx) is only
        sent again once a search for the media it would have created finds nothing: the owner tag
        carries a nonce unique to this create, so the search cannot mistake another media for it.
        """
        client = self._client()
        tag = _owner_tag(props)
        body = media.create_body(_tagged(props, tag))
        attempt = 1
        while True:
            try:
                return client.create_media(body), tag
            except (TransportError, ServerError) as exc:
                if isinstance(exc, TransportError) and not exc.request_sent:
                    # FastPix never saw it and the client already retried it: FastPix is unreachable.
                    raise
                # Judged as an idempotent call would be: the search below makes sending it again safe.
                if not client.policy.should_retry("GET", attempt, status=getattr(exc, "status", None)):
                    raise
                if tag is not None:
                    existing = self._find_by_tag(client, tag)
                    if existing is not None:
                        diagnostics.warn(f"the create answer was lost, but FastPix created media {existing['id']}; using it")
                        return existing, tag
                wait = client.policy.delay(attempt, getattr(exc, "retry_after", None))
                diagnostics.warn(f"{exc}; no media was created, so creating again in {wait:.1f}s")
                time.sleep(wait)
                attempt += 1

    @staticmethod
    def _find_by_tag(client: FastPixClient, tag: str) -> dict[str, Any] | None:
        for item in client.list_media(order_by="desc"):
            if (item.get("metadata") or {}).get(media.OWNER_METADATA_KEY) == tag:
                return item
        return None

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
        observed = media.observed_inputs(found, _inputs_only(props))
        plan = media.plan_changes(observed, props)
        fixed = [name for name in plan.replaces if name != "url"]
        if fixed:
            details = ", ".join(f"{name} is {observed.get(name)!r}, declared {props.get(name)!r}" for name in fixed)
            raise FastPixError(
                f"cannot adopt media {media_id}: FastPix cannot change {details}. "
                "Declare the media's actual values to adopt it."
            )
        tag = _owner_tag(props)
        # The PATCH of title/creator/metadata always runs: it puts the owner tag on the adopted media.
        calls = tuple(dict.fromkeys(("update", *plan.calls)))
        return _apply_in_place(client, media_id, calls, props, tag) or found, tag

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
            time.sleep(READY_POLL_SECONDS)
            current = client.get_media(created["id"])
        if current["status"] == "Failed":
            client.delete_media(created["id"])
            raise FastPixError(
                f"FastPix could not process {props.get('url')!r}: media {created['id']} ended Failed and was deleted. "
                "Check that the URL is public and points at a supported video file."
            )
        return current

    @staticmethod
    def _outputs(inputs: Mapping[str, Any], found: Mapping[str, Any], tag: str | None) -> dict[str, Any]:
        outs = {**_inputs_only(inputs), **media.outputs_from_api(found)}
        outs["owner_tag"] = tag
        return outs


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


def _owner_tag(props: Mapping[str, Any]) -> str | None:
    owner = props.get("owner")
    if not owner:
        return None
    # The nonce tells apart two media of the same resource (a replace creates the new before deleting the old).
    return f"{str(owner)[:200]}#{secrets.token_hex(4)}"


def _tagged(props: Mapping[str, Any], tag: str | None) -> dict[str, Any]:
    return {**props, "owner": tag}
