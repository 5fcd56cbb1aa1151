"""A minimal dynamic resource for the engine smoke test: it leaves a file behind for each create
and delete, so a test can see from outside the provider process what the engine asked it to do."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class MarkerProvider(ResourceProvider):
    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> CreateResult:
        marker_id = uuid.uuid4().hex
        Path(props["directory"], f"created-{props['name']}-{marker_id}").touch()
        return CreateResult(marker_id, props)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        Path(props["directory"], f"deleted-{props['name']}-{id_}").touch()


class Marker(Resource, module="test", name="Marker"):
    def __init__(self, name: str, directory: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(MarkerProvider(), name, {"name": name, "directory": directory}, opts)


class ConfigProbeProvider(ResourceProvider):
    """Reports which stack config keys reached the provider process through `configure`."""

    serialize_as_secret_always = False

    def configure(self, req: Any) -> None:
        self.seen = {key: req.config.get(key) for key in ("fastpix:probe", "other:probe", "probe")}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult("probe", {"seen": dict(getattr(self, "seen", {}))})

    def __getstate__(self) -> dict[str, Any]:
        return {}


class ConfigProbe(Resource, module="test", name="ConfigProbe"):
    seen: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str) -> None:
        super().__init__(ConfigProbeProvider(), name, {"seen": None})
