"""`PlaybackId`: an extra playback id of a FastPix media, its dynamic provider, and `declare_children`.

Its module path and class name (`fastpix_provider.playback_ids.PlaybackIdProvider`) and its type
(`fastpix:PlaybackId`) are recorded in every stack state that holds one: renaming any breaks refresh,
update and delete. What the provider believes is said in tracks.py (`ChildProvider`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, UpdateResult

from ._sdk_compat import registering_media
from .children import (
    PLAYBACK_ID_FIELDS,
    check_playback_id,
    observed_playback_id,
    plan_playback_id,
    playback_id_body,
    playback_id_matches,
    wire_rules,
)
from .media import STREAM_HOST
from .provider import _plain_errors
from .tracks import ChildProvider, Track, _inputs_only, _workspace, child_options

if TYPE_CHECKING:
    from .catalog import CatalogEntry
    from .resource import Media

__all__ = ["PlaybackId", "PlaybackIdProvider", "declare_children"]



class PlaybackIdProvider(ChildProvider):
    """Lifecycle of one extra playback id of a FastPix media."""

    what = "playback id"
    collection = "playbackIds"
    id_output = "playback_id"
    fields = PLAYBACK_ID_FIELDS
    check_inputs = staticmethod(check_playback_id)
    plan_changes = staticmethod(plan_playback_id)
    extra_stables = ("playback_url",)

    @_plain_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self._client()
        media_id = str(props["media_id"])
        before = client.get_media(media_id)
        created = self._create_once(client, media_id, before, lambda: client.create_playback_id(media_id,
                                                                                                 playback_id_body(props)),
                                    playback_id_matches(props))
        outs = {**_inputs_only(props, PLAYBACK_ID_FIELDS), **self._computed(created, props),
                "workspace_id": _workspace(before, props)}
        return CreateResult(str(created["id"]), outs)

    def _computed(self, item: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        playback_id = item.get("id")
        return {"playback_id": playback_id, "playback_url": f"{STREAM_HOST}/{playback_id}.m3u8"}

    @_plain_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return self._read(id_, props, observed_playback_id)

    @_plain_errors
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        plan = plan_playback_id(olds, news)
        client = self._client()
        media_id = str(news["media_id"])
        if "domains" in plan.calls:
            client.update_playback_id_domains(media_id, id_, wire_rules(news.get("domains")))
        if "user_agents" in plan.calls:
            client.update_playback_id_user_agents(media_id, id_, wire_rules(news.get("user_agents")))
        return UpdateResult({**olds, **_inputs_only(news, PLAYBACK_ID_FIELDS)})

    @_plain_errors
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        media_id = str(props["media_id"])
        self._delete(id_, props, lambda client: client.delete_playback_id(media_id, id_))


class PlaybackId(Resource, module="fastpix", name="PlaybackId"):
    """An extra playback id of a FastPix media, with its access policy and domain and user-agent rules.

    `domains` and `user_agents` are maps of `default_policy` (`allow` or `deny`), `allow` and `deny`
    lists; changing them updates the playback id in place (PATCH .../domains, .../user-agents). Changing
    `access_policy`, `drm_configuration_id`, `resolution` or the media replaces it (a new id: embeds of the
    old one stop playing). Removing the media deletes its playback ids with it.
    """

    playback_id: pulumi.Output[str]
    playback_url: pulumi.Output[str]
    media_id: pulumi.Output[str]
    access_policy: pulumi.Output[str]
    drm_configuration_id: pulumi.Output[str | None]
    resolution: pulumi.Output[str | None]
    domains: pulumi.Output[dict[str, Any] | None]
    user_agents: pulumi.Output[dict[str, Any] | None]
    workspace_id: pulumi.Output[str | None]

    def __init__(self, resource_name: str, *, media: Media, access_policy: pulumi.Input[str],
                 domains: pulumi.Input[dict[str, Any]] | None = None,
                 user_agents: pulumi.Input[dict[str, Any]] | None = None,
                 drm_configuration_id: pulumi.Input[str] | None = None,
                 resolution: pulumi.Input[str] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {
            "media_id": media.id, "access_policy": access_policy, "drm_configuration_id": drm_configuration_id,
            "resolution": resolution, "domains": domains, "user_agents": user_agents,
            "playback_id": None, "playback_url": None, "workspace_id": None,
        }
        with registering_media():
            super().__init__(PlaybackIdProvider(), resource_name, props, child_options(media, opts))


def declare_children(entry: CatalogEntry, media: Media) -> dict[str, Track | PlaybackId]:
    """The tracks and playback ids of a catalog entry, as resources under its media.

    Resource names are `<media key>/<list>/<item key>`: unique in the stack, and stable while the keys are
    (renaming a key replaces the child). A child of a protected media is protected too (the engine would
    otherwise drop it from the state while refusing to delete the media).
    """
    opts = pulumi.ResourceOptions(protect=entry.protect) if entry.protect else None
    declared: dict[str, Track | PlaybackId] = {}
    audio: dict[str, Track] = {}
    for child in entry.audio_tracks:
        name = f"{entry.key}/audioTracks/{child.key}"
        audio[child.key] = Track(name, media=media, type="audio", **child.args, opts=opts)
        declared[name] = audio[child.key]
    for child in entry.subtitles:
        name = f"{entry.key}/subtitles/{child.key}"
        args = dict(child.args)
        if args.get("audio_track_id") is not None:
            args["audio_track_id"] = audio[str(args["audio_track_id"])].id
        declared[name] = Track(name, media=media, type="subtitle", **args, opts=opts)
    for child in entry.playback_ids:
        name = f"{entry.key}/playbackIds/{child.key}"
        declared[name] = PlaybackId(name, media=media, **child.args, opts=opts)
    return declared
