"""`Track`: a subtitle or audio track of a FastPix media, and its dynamic provider.

Its module path and class name (`fastpix_provider.tracks.TrackProvider`) and its type (`fastpix:Track`)
are recorded in every stack state that holds a track: renaming any breaks refresh, update and delete.
`ChildProvider`, the part a track's and a playback id's providers share, lives here too.

What the providers believe, as MediaProvider does (issue 9):
- a child is gone only when FastPix shows its media without it, or says in its own error envelope that
  the media is gone and the media's workspace is provably the one asked (`provider.confirm_gone`);
- a create whose answer was lost is never sent again before a search found nothing. FastPix keeps no
  metadata on tracks or playback ids, so the search compares the media's children after the failure
  with those it listed before the first attempt: a child that is new and has the declared properties
  (type, language code and name for a track, as the media lists no track URL; access policy and both
  rule sets for a playback id) is the one the lost create made. That is unique enough: ids listed before
  the attempt are excluded, and the catalog refuses two children of one media alike in those
  properties. Two matches (a twin made at the same moment from elsewhere, or by a Python program that
  declared twins) stop the create and name both, never pick one.
- deleting a media deletes its children with it: they are declared `deleted_with` the media, so the
  engine skips their DELETE (FastPix would answer 404 once the media is gone) and drops them from the
  state in the same step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from . import diagnostics
from ._provider_base import FastPixProvider
from ._sdk_compat import registering_media
from ._text import echo
from .children import (
    TRACK_FIELDS,
    ChildField,
    check_track,
    generate_body,
    observed_track,
    plan_track,
    track_body,
    track_matches,
    track_update_body,
)
from .client import FastPixClient
from .errors import FastPixError, NotFoundError, ProtocolError, RateLimitedError, ServerError, TransportError
from .media import ChangePlan, Failure
from .provider import _plain_errors, confirm_gone

if TYPE_CHECKING:
    from .resource import Media

__all__ = ["ChildMayExistError", "ChildProvider", "Track", "TrackProvider", "child_options"]

class ChildMayExistError(FastPixError):
    """A create of a track or playback id failed in a way after which FastPix may still have made it."""


class ChildProvider(FastPixProvider):
    """What both providers share: configuration, the client, the search after a lost create, gone-or-not."""

    what = "child"
    collection = ""  # the media object's list of such children: tracks | playbackIds
    id_output = ""
    fields: tuple[ChildField, ...] = ()

    # The child's rules (children.py), set by each subclass: validation and the change plan.
    check_inputs: Callable[[Mapping[str, Any]], list[Failure]]
    plan_changes: Callable[[Mapping[str, Any], Mapping[str, Any]], ChangePlan]
    extra_stables: tuple[str, ...] = ()  # outputs that never change, beside the id and the workspace

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return _check_result(news, type(self).check_inputs(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        plan = type(self).plan_changes(olds, news)
        return DiffResult(changes=plan.has_changes, replaces=list(plan.replaces), stables=self._stables(),
                          delete_before_replace=False)

    def _stables(self) -> list[str]:
        return [self.id_output, "workspace_id", *self.extra_stables]

    # -- reading the media -----------------------------------------------------------------------------

    def _media_or_none(self, client: FastPixClient, props: Mapping[str, Any], *, action: str) -> dict[str, Any] | None:
        """The child's media, or None when FastPix provably says it is gone (then so is the child)."""
        media_id = str(props.get("media_id"))
        try:
            return client.get_media(media_id)
        except NotFoundError:
            # Raises unless the 404 came from the media's own workspace (recorded at create).
            confirm_gone(client, media_id, props, action=action)
            return None

    def _listed(self, media: Mapping[str, Any]) -> list[dict[str, Any]]:
        items = media.get(self.collection)
        if not isinstance(items, list):
            raise ProtocolError(f"the media carries no {self.collection} list", method="GET",
                                path=f"/on-demand/{media.get('id')}", status=200)
        return [item for item in items if isinstance(item, dict)]

    def _find(self, media: Mapping[str, Any], child_id: str) -> dict[str, Any] | None:
        return next((item for item in self._listed(media) if item.get("id") == child_id), None)

    # -- create without creating twice ----------------------------------------------------------------

    def _create_once(self, client: FastPixClient, media_id: str, before: Mapping[str, Any],
                     send: Callable[[], dict[str, Any]], matches: Callable[[Mapping[str, Any]], bool]) -> dict[str, Any]:
        """Send a create; after any failure FastPix may have acted on, look before sending it again.

        `before` is the media as it was before the first attempt: a child it already listed cannot be
        the one this create made, so only new children with the declared properties are candidates.
        """
        known = {item.get("id") for item in self._listed(before)}
        attempt = 1
        while True:
            try:
                return send()
            except TransportError as exc:
                if not exc.request_sent:
                    raise
                failure: FastPixError = exc
            except RateLimitedError:
                raise
            except (ServerError, ProtocolError) as exc:
                failure = exc
            found = self._find_created(client, media_id, known, matches, failure)
            if found is not None:
                diagnostics.warn(f"the create answer was lost, but FastPix made {self.what} {found.get('id')} on media "
                                 f"{media_id}; using it")
                return found
            status = None if isinstance(failure, ProtocolError) else getattr(failure, "status", None)
            if not client.policy.should_retry("GET", attempt, status=status):
                raise failure
            wait = client.policy.delay(attempt, getattr(failure, "retry_after", None))
            diagnostics.warn(f"{failure}; media {media_id} has no new {self.what} of this create, so creating again "
                             f"in {wait:.1f}s")
            self._sleep(wait)
            attempt += 1

    def _find_created(self, client: FastPixClient, media_id: str, known: set[Any],
                      matches: Callable[[Mapping[str, Any]], bool], failure: FastPixError) -> dict[str, Any] | None:
        try:
            after = client.get_media(media_id)
            new = [item for item in self._listed(after) if item.get("id") not in known and matches(item)]
        except FastPixError as exc:
            raise ChildMayExistError(
                f"{failure}. FastPix may have made the {self.what}, and looking for it on media {media_id} failed too "
                f"({exc}). Before running again, check the media's {self.collection} in the FastPix dashboard and delete "
                f"a {self.what} this run did not record."
            ) from None
        if len(new) > 1:
            ids = ", ".join(str(item.get("id")) for item in new[:5])
            raise ChildMayExistError(
                f"{failure}. FastPix may have made the {self.what}, and media {media_id} now has {len(new)} new ones "
                f"that match it ({ids}): nothing tells which is this run's. Delete the extra one in the FastPix "
                "dashboard, then run again."
            )
        return new[0] if new else None

    # -- delete ----------------------------------------------------------------------------------------

    def _delete(self, child_id: str, props: Mapping[str, Any], send: Callable[[FastPixClient], None]) -> None:
        client = self._client()
        try:
            send(client)
        except NotFoundError:
            # FastPix's 404 may be for the media or for the child: find out which before believing it.
            found = self._media_or_none(client, props, action="delete")
            if found is not None and self._find(found, child_id) is not None:
                raise FastPixError(
                    f"FastPix answered 404 to deleting {self.what} {child_id}, yet media {props.get('media_id')} still "
                    f"lists it. Nothing was changed; run again, or delete it in the FastPix dashboard."
                ) from None
            diagnostics.warn(f"{self.what} {child_id} was already deleted; nothing left to delete")

    def _read(self, id_: str, props: dict[str, Any],
              observe: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]) -> ReadResult:
        client = self._client()
        found = self._media_or_none(client, props, action="refresh")
        item = self._find(found, id_) if found is not None else None
        if item is None:
            where = f"media {props.get('media_id')} no longer lists it" if found else "its media no longer exists"
            diagnostics.warn(f"FastPix {self.what} {id_} is gone ({where}); refresh removes it from the stack's state")
            return ReadResult("", {})
        inputs = _inputs_only(props, self.fields)
        observed = observe(item, inputs)
        return ReadResult(id_, {**props, **observed, **self._computed(item, props)}, observed)

    def _computed(self, item: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {}


def _inputs_only(props: Mapping[str, Any], fields: Sequence[ChildField]) -> dict[str, Any]:
    names = {f.name for f in fields}
    return {k: v for k, v in props.items() if k in names}


def _workspace(media: Mapping[str, Any], props: Mapping[str, Any]) -> Any:
    return media.get("workspaceId") if isinstance(media.get("workspaceId"), str) else props.get("workspace_id")


def _check_result(news: dict[str, Any], failures: list[Failure]) -> CheckResult:
    return CheckResult(news, [CheckFailure(f.property, f.reason) for f in failures])


class TrackProvider(ChildProvider):
    """Lifecycle of one subtitle or audio track of a FastPix media."""

    what = "track"
    collection = "tracks"
    id_output = "track_id"
    fields = TRACK_FIELDS
    check_inputs = staticmethod(check_track)
    plan_changes = staticmethod(plan_track)

    @_plain_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self._client()
        media_id = str(props["media_id"])
        before = client.get_media(media_id)
        generated_from = None
        if (props.get("source") or "url") == "generated":
            generated_from = props.get("audio_track_id") or self._first_audio_track(before, media_id)
            audio_id = str(generated_from)

            def send() -> dict[str, Any]:
                return client.generate_subtitles(media_id, audio_id, generate_body(props))
        else:
            def send() -> dict[str, Any]:
                return client.add_track(media_id, track_body(props))
        created = self._create_once(client, media_id, before, send, track_matches(props))
        outs = {**_inputs_only(props, TRACK_FIELDS), "track_id": created["id"], "status": created.get("status"),
                "generated_from": generated_from, "workspace_id": _workspace(before, props)}
        return CreateResult(str(created["id"]), outs)

    def _first_audio_track(self, media: Mapping[str, Any], media_id: str) -> str:
        audio = [t for t in self._listed(media) if t.get("type") == "audio" and isinstance(t.get("id"), str)]
        if not audio:
            raise FastPixError(
                f"media {media_id} has no audio track to generate subtitles from yet (FastPix lists the video's own "
                "audio once the media is processed): declare waitForReady on the media, or add an audio track and "
                "name it in audioTrack (audio_track_id)."
            )
        return str(audio[0]["id"])

    @_plain_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return self._read(id_, props, observed_track)

    def _computed(self, item: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        return {"track_id": item.get("id"), "status": item.get("status")}

    @_plain_errors
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        plan = plan_track(olds, news)
        outs = {**olds, **_inputs_only(news, TRACK_FIELDS)}
        if "update" in plan.calls:
            answer = self._client().update_track(str(news["media_id"]), id_, track_update_body(news))
            if answer.get("id") != id_:
                raise ProtocolError(f"the answer is about track {echo(answer.get('id'))}, not {id_}", method="PATCH",
                                    path=f"/on-demand/{news['media_id']}/tracks/{id_}", status=200)
        return UpdateResult(outs)

    @_plain_errors
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        media_id = str(props["media_id"])
        self._delete(id_, props, lambda client: client.delete_track(media_id, id_))


def child_options(media: Media, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """Parent and deleted_with the media: deleting the media takes its children with it, in one step and
    without a call per child (FastPix deletes a media's tracks and playback ids with it)."""
    own = pulumi.ResourceOptions(parent=media, deleted_with=media)
    return pulumi.ResourceOptions.merge(own, opts) if opts else own


class Track(Resource, module="fastpix", name="Track"):
    """A subtitle or audio track of a FastPix media, from a public URL, or subtitles FastPix generates.

    Changing `url`, `language_code` or `language_name` updates the track in place (PATCH
    /on-demand/{mediaId}/tracks/{trackId}); changing `type`, `source`, `audio_track_id` or the media
    replaces it, as does any change of a generated track. Removing it deletes the track; removing the
    media deletes its tracks with it.
    """

    track_id: pulumi.Output[str]
    media_id: pulumi.Output[str]
    type: pulumi.Output[str]
    source: pulumi.Output[str | None]
    url: pulumi.Output[str | None]
    language_code: pulumi.Output[str]
    language_name: pulumi.Output[str]
    audio_track_id: pulumi.Output[str | None]
    status: pulumi.Output[str | None]
    generated_from: pulumi.Output[str | None]
    workspace_id: pulumi.Output[str | None]

    def __init__(self, resource_name: str, *, media: Media, type: pulumi.Input[str],
                 language_code: pulumi.Input[str], language_name: pulumi.Input[str],
                 url: pulumi.Input[str] | None = None, source: pulumi.Input[str] | None = None,
                 audio_track_id: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {
            "media_id": media.id, "type": type, "source": source, "url": url, "language_code": language_code,
            "language_name": language_name, "audio_track_id": audio_track_id,
            "track_id": None, "status": None, "generated_from": None, "workspace_id": None,
        }
        with registering_media():
            super().__init__(TrackProvider(), resource_name, props, child_options(media, opts))
