"""`Media`: a FastPix media as a Pulumi resource."""

from __future__ import annotations

import difflib
import functools
import os
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any, Unpack

import pulumi
from pulumi.dynamic import Resource

from . import uploads
from ._media_inputs import MediaArgs, MediaInputs, MediaOutputs
from ._sdk_compat import registering_media
from .errors import ConfigurationError
from .fields import COMPUTED_OUTPUTS, DECLARED
from .owner import current_backend_url, owner_path, stack_id_for
from .provider import MediaProvider
from .settings import CREDENTIAL_CONFIG_KEYS, refuse_credentials_in_config

__all__ = ["Media", "MediaArgs", "MediaInputs"]

MEDIA_TYPE = "pulumi-python:dynamic/fastpix:Media"

_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$")


class Media(Resource, MediaOutputs, module="fastpix", name="Media"):
    """A FastPix on-demand media, created from a public video URL (`url`) or uploaded from a local file (`file`).

    Its properties are the keyword arguments, each described in `MediaInputs` (the field table in
    fields.py declares them all). Changing `title`, `creator_id`, `metadata`, `source_access` or
    `mp4_support` updates the media in place; changing `url`, the bytes of `file` (its sha256, not its
    path), `access_policy`, `drm_configuration_id`, `max_resolution`, `media_quality` or `optimize_audio`
    replaces it (the new media is created before the
    old one is deleted). Removing the resource from the program deletes the media from FastPix.
    """

    def __init__(self, resource_name: str, *, opts: pulumi.ResourceOptions | None = None,
                 **inputs: Unpack[MediaInputs]) -> None:
        unknown = sorted(set(inputs) - {field.name for field in DECLARED})
        if unknown:
            close = difflib.get_close_matches(unknown[0], [field.name for field in DECLARED], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"Media() got an unexpected keyword argument {unknown[0]!r}{hint}")
        props: dict[str, Any] = {field.name: inputs.get(field.name) for field in DECLARED}
        props.update(_file_inputs(inputs.get("file"), resource_name, opts))
        props.update({
            "owner": owner_path(pulumi.get_project(), pulumi.get_stack(), resource_name),
            "stack_id": _stack_id(),
            "retain_on_delete": bool(opts.retain_on_delete) if opts and opts.retain_on_delete else None,
            "ready_timeout_seconds": _create_timeout_seconds(opts),
        })
        for output in COMPUTED_OUTPUTS:
            props[output] = None
        _refuse_credentials_in_stack_config()
        with registering_media():
            super().__init__(MediaProvider(), resource_name, props, opts)

    @classmethod
    def from_args(cls, resource_name: str, args: MediaArgs, opts: pulumi.ResourceOptions | None = None) -> Media:
        declared = {name: value for name, value in asdict(args).items() if value is not None}
        return cls(resource_name, opts=opts, **declared)


def _file_inputs(file: Any, resource_name: str, opts: pulumi.ResourceOptions | None) -> dict[str, Any]:
    """For a media from a local file: its absolute path, the digest of its bytes and the resource's URN.

    A relative `file` is read from the project folder, the program's working directory (where `pulumi`
    runs). The digest (uploads.DigestCache) decides replacement: the same bytes under another path are
    the same media. A missing file stops the program here, naming it.
    """
    if file is None:
        return {}
    if not isinstance(file, str):
        resolved = pulumi.Output.from_input(file).apply(_resolved_file)
        return {"file_path": resolved.apply(lambda r: r[0]), "file_digest": resolved.apply(lambda r: r[1]),
                "log_urn": _urn(resource_name, opts)}
    path, digest = _resolved_file(file)
    return {"file_path": path, "file_digest": digest, "log_urn": _urn(resource_name, opts)}


def _resolved_file(file: str) -> tuple[str, str]:
    path = uploads.resolve(file)
    try:
        return str(path), uploads.digest_cache().digest(path)
    except OSError as error:
        raise pulumi.RunError(f"file {file!r} cannot be read ({error.strerror or error}); a relative path is read "
                              f"from the project folder, {Path.cwd()}") from None


def _urn(resource_name: str, opts: pulumi.ResourceOptions | None) -> str | None:
    """The URN the engine gives a Media without a parent, so progress messages land on it; None otherwise."""
    if opts is not None and opts.parent is not None:
        return None
    return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{MEDIA_TYPE}::{resource_name}"


def _stack_id() -> str:
    """This stack's id in owner tags: its backend, organisation, project and name (see owner.py)."""
    return _stack_id_of(os.environ.get("PULUMI_BACKEND_URL"), os.environ.get("PULUMI_HOME"), os.getcwd(),
                        pulumi.get_organization() or "", pulumi.get_project(), pulumi.get_stack())


@functools.lru_cache(maxsize=16)
def _stack_id_of(backend_variable: str | None, pulumi_home: str | None, folder: str, organization: str, project: str,
                 stack: str) -> str:
    # Once per program run, not per media: finding the backend reads Pulumi.yaml (a seventh of a large
    # program's time when it was done for each media).
    environ = {k: v for k, v in (("PULUMI_BACKEND_URL", backend_variable), ("PULUMI_HOME", pulumi_home)) if v}
    return stack_id_for(current_backend_url(environ, Path(folder)), organization, project, stack)


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
