"""`Media`: a FastPix media as a Pulumi resource."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ._sdk_compat import registering_media
from .errors import ConfigurationError
from .media import COMPUTED_OUTPUTS
from .owner import current_backend_url, owner_path, stack_id_for
from .provider import MediaProvider
from .settings import CREDENTIAL_CONFIG_KEYS, refuse_credentials_in_config

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$")


@dataclass
class MediaArgs:
    """The declared properties of a media; see `Media` for each."""

    url: pulumi.Input[str]
    access_policy: pulumi.Input[str] = "public"
    title: pulumi.Input[str] | None = None
    creator_id: pulumi.Input[str] | None = None
    metadata: pulumi.Input[dict[str, str]] | None = None
    max_resolution: pulumi.Input[str] | None = None
    media_quality: pulumi.Input[str] | None = None
    mp4_support: pulumi.Input[str] | None = None
    source_access: pulumi.Input[bool] | None = None
    optimize_audio: pulumi.Input[bool] | None = None
    wait_for_ready: bool = False
    adopt_id: str | None = None
    take_over: bool = False
    drm_configuration_id: pulumi.Input[str] | None = None


class Media(Resource, module="fastpix", name="Media"):
    """A FastPix on-demand media, created from a public video URL.

    Changing `title`, `creator_id`, `metadata`, `source_access` or `mp4_support` updates the media in
    place; changing `url`, `access_policy`, `max_resolution`, `media_quality` or `optimize_audio`
    replaces it (the new media is created before the old one is deleted). Removing the resource from
    the program deletes the media from FastPix.
    """

    media_id: pulumi.Output[str]
    status: pulumi.Output[str]
    playback_ids: pulumi.Output[list[dict[str, str]]]
    playback_url: pulumi.Output[str | None]
    thumbnail_url: pulumi.Output[str | None]
    duration: pulumi.Output[str | None]
    created_at: pulumi.Output[str]
    url: pulumi.Output[str]
    access_policy: pulumi.Output[str]
    title: pulumi.Output[str | None]
    creator_id: pulumi.Output[str | None]
    metadata: pulumi.Output[dict[str, str]]
    max_resolution: pulumi.Output[str | None]
    media_quality: pulumi.Output[str | None]
    mp4_support: pulumi.Output[str | None]
    source_access: pulumi.Output[bool | None]
    optimize_audio: pulumi.Output[bool | None]
    drm_configuration_id: pulumi.Output[str | None]
    workspace_id: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        url: pulumi.Input[str],
        access_policy: pulumi.Input[str] = "public",
        title: pulumi.Input[str] | None = None,
        creator_id: pulumi.Input[str] | None = None,
        metadata: pulumi.Input[dict[str, str]] | None = None,
        max_resolution: pulumi.Input[str] | None = None,
        media_quality: pulumi.Input[str] | None = None,
        mp4_support: pulumi.Input[str] | None = None,
        source_access: pulumi.Input[bool] | None = None,
        optimize_audio: pulumi.Input[bool] | None = None,
        wait_for_ready: bool = False,
        adopt_id: str | None = None,
        take_over: bool = False,
        drm_configuration_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a media.

        :param url: public http(s) URL of the video FastPix downloads.
        :param access_policy: `public`, `private` or `drm` (of the media's first playback id).
        :param title: up to 255 characters.
        :param creator_id: your own id of the media's creator, up to 255 characters.
        :param metadata: up to 9 string keys (FastPix allows 10; one is reserved) with values up to 255 characters.
        :param max_resolution: `2160p`, `1440p`, `1080p` (FastPix's default), `720p` or `480p`.
        :param media_quality: `standard` (default), `pro` or `premium`.
        :param mp4_support: `none` (default), `capped_4k`, `audioOnly` or `audioOnly,capped_4k`.
        :param source_access: keep the original file downloadable.
        :param optimize_audio: normalise the audio while processing.
        :param wait_for_ready: make `create` wait until FastPix has processed the media (bounded by
            the create custom timeout). Off by default: the provider serves at most 4 calls at once, so
            waiting stalls other resources.
        :param adopt_id: id of an existing media to take over instead of creating one.
        :param take_over: with `adopt_id`, adopt a media even though another stack's owner tag claims it.
        :param drm_configuration_id: with `access_policy="drm"` (required then): the id of one of the
            workspace's DRM configurations.
        """
        props: dict[str, Any] = {
            "url": url,
            "access_policy": access_policy,
            "title": title,
            "creator_id": creator_id,
            "metadata": metadata,
            "max_resolution": max_resolution,
            "media_quality": media_quality,
            "mp4_support": mp4_support,
            "source_access": source_access,
            "optimize_audio": optimize_audio,
            "wait_for_ready": wait_for_ready,
            "adopt_id": adopt_id,
            "take_over": take_over or None,
            "drm_configuration_id": drm_configuration_id,
            "owner": owner_path(pulumi.get_project(), pulumi.get_stack(), resource_name),
            "stack_id": _stack_id(),
            "retain_on_delete": bool(opts.retain_on_delete) if opts and opts.retain_on_delete else None,
            "ready_timeout_seconds": _create_timeout_seconds(opts),
        }
        for output in COMPUTED_OUTPUTS:
            props[output] = None
        _refuse_credentials_in_stack_config()
        with registering_media():
            super().__init__(MediaProvider(), resource_name, props, opts)

    @classmethod
    def from_args(cls, resource_name: str, args: MediaArgs, opts: pulumi.ResourceOptions | None = None) -> Media:
        return cls(resource_name, **asdict(args), opts=opts)


def _stack_id() -> str:
    """This stack's id in owner tags: its backend, organisation, project and name (see owner.py)."""
    return stack_id_for(current_backend_url(os.environ), pulumi.get_organization() or "",
                        pulumi.get_project(), pulumi.get_stack())


def _refuse_credentials_in_stack_config() -> None:
    config = pulumi.Config("fastpix")
    try:
        refuse_credentials_in_config({key: config.get(key.split(":", 1)[1]) for key in CREDENTIAL_CONFIG_KEYS})
    except ConfigurationError as error:
        raise pulumi.RunError(str(error)) from None


def _create_timeout_seconds(opts: pulumi.ResourceOptions | None) -> float | None:
    """The create custom timeout ("10m", "1h30m", "90s") in seconds, which bounds wait_for_ready."""
    timeouts = opts.custom_timeouts if opts else None
    raw = getattr(timeouts, "create", None) if timeouts else None
    if not raw:
        return None
    match = _DURATION.match(str(raw))
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds
