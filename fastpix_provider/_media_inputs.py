"""Generated from fastpix_provider/fields.py by `python -m fastpix_provider.fields`: do not edit.

`MediaInputs` types the keyword arguments of `Media(...)`, `MediaArgs` holds the same for
`Media.from_args`, and `MediaOutputs` declares the outputs a Media resource has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import pulumi


class MediaInputs(TypedDict, total=False):
    """The properties of a media (every one optional but exactly one of `url` and `file`, unless `adopt_id`)."""

    url: pulumi.Input[str] | None
    """public http(s) URL of the video FastPix downloads (exactly one of `url` and `file`)"""
    file: pulumi.Input[str] | None
    """path of a local video file to upload, relative to the project folder (the program's working
    directory); exactly one of `url` and `file`"""
    title: pulumi.Input[str] | None
    """up to 255 characters"""
    creator_id: pulumi.Input[str] | None
    """your own id of the media's creator, up to 255 characters"""
    metadata: pulumi.Input[dict[str, str]] | None
    """up to 9 string keys (FastPix allows 10; one is reserved) with values up to 255 characters"""
    access_policy: pulumi.Input[str] | None
    """`public`, `private` or `drm` (of the media's first playback id)"""
    drm_configuration_id: pulumi.Input[str] | None
    """with `access_policy="drm"` (required then): the id of one of the workspace's DRM configurations"""
    max_resolution: pulumi.Input[str] | None
    """`2160p`, `1440p`, `1080p` (FastPix's default), `720p` or `480p`"""
    media_quality: pulumi.Input[str] | None
    """`standard` (default), `pro` or `premium`"""
    mp4_support: pulumi.Input[str] | None
    """`none` (default), `capped_4k`, `audioOnly` or `audioOnly,capped_4k`"""
    source_access: pulumi.Input[bool] | None
    """keep the original file downloadable"""
    optimize_audio: pulumi.Input[bool] | None
    """normalise the audio while processing"""
    wait_for_ready: pulumi.Input[bool] | None
    """make `create` wait until FastPix has processed the media (bounded by the create custom timeout); off
    by default, as a waiting create holds one of the provider's 4 calls"""
    adopt_id: pulumi.Input[str] | None
    """id of an existing media to take over instead of creating one"""
    take_over: pulumi.Input[bool] | None
    """with `adopt_id`: adopt a media even though another stack's owner tag claims it"""


@dataclass
class MediaArgs:
    """The declared properties of a media; see `Media`."""

    url: pulumi.Input[str] | None = None
    file: pulumi.Input[str] | None = None
    title: pulumi.Input[str] | None = None
    creator_id: pulumi.Input[str] | None = None
    metadata: pulumi.Input[dict[str, str]] | None = None
    access_policy: pulumi.Input[str] | None = None
    drm_configuration_id: pulumi.Input[str] | None = None
    max_resolution: pulumi.Input[str] | None = None
    media_quality: pulumi.Input[str] | None = None
    mp4_support: pulumi.Input[str] | None = None
    source_access: pulumi.Input[bool] | None = None
    optimize_audio: pulumi.Input[bool] | None = None
    wait_for_ready: pulumi.Input[bool] | None = None
    adopt_id: pulumi.Input[str] | None = None
    take_over: pulumi.Input[bool] | None = None


class MediaOutputs:
    """The outputs of a Media resource: its declared properties and what FastPix computes."""

    url: pulumi.Output[str | None]
    file: pulumi.Output[str | None]
    file_digest: pulumi.Output[str | None]
    title: pulumi.Output[str | None]
    creator_id: pulumi.Output[str | None]
    metadata: pulumi.Output[dict[str, str] | None]
    access_policy: pulumi.Output[str | None]
    drm_configuration_id: pulumi.Output[str | None]
    max_resolution: pulumi.Output[str | None]
    media_quality: pulumi.Output[str | None]
    mp4_support: pulumi.Output[str | None]
    source_access: pulumi.Output[bool | None]
    optimize_audio: pulumi.Output[bool | None]
    wait_for_ready: pulumi.Output[bool | None]
    adopt_id: pulumi.Output[str | None]
    take_over: pulumi.Output[bool | None]
    media_id: pulumi.Output[str]
    status: pulumi.Output[str]
    playback_ids: pulumi.Output[list[dict[str, str]]]
    playback_url: pulumi.Output[str | None]
    thumbnail_url: pulumi.Output[str | None]
    duration: pulumi.Output[str | None]
    created_at: pulumi.Output[str]
    owner_tag: pulumi.Output[str | None]
    workspace_id: pulumi.Output[str | None]
    upload_id: pulumi.Output[str | None]
