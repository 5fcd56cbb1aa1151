"""The program and Media under Pulumi's mocks: fast checks of what a program run registers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from fastpix_provider import Media


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    # The mocks run on the thread's current event loop; a test before may have left none (asyncio.run does).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, project="fastpix-media", stack="unit", preview=False)
    yield recording
    asyncio.set_event_loop(None)
    loop.close()


@pulumi.runtime.test
def test_a_thousand_media_register_in_one_program(mocks: RecordingMocks) -> Any:
    # The SDK's provider serializer deepens a pickler patch on every call; without the reset in
    # _sdk_compat.py this loop dies with RecursionError near the 1,000th media.
    media = [Media(f"clip-{i}", url="https://static.fastpix.com/fp-sample-video.mp4") for i in range(1500)]
    return media[-1].id.apply(lambda media_id: None)


@pulumi.runtime.test
def test_media_carries_its_owner_and_a_tiny_unencrypted_provider(mocks: RecordingMocks) -> Any:
    intro = Media("intro", url="https://static.fastpix.com/fp-sample-video.mp4", title="Intro")

    def check(_: Any) -> None:
        [args] = [a for a in mocks.registered if a.name == "intro"]
        assert args.typ == "pulumi-python:dynamic/fastpix:Media"
        assert args.inputs["owner"] == "fastpix-media/unit/intro"
        provider = args.inputs["__provider"]
        assert isinstance(provider, str) and len(provider) < 200

    return intro.id.apply(check)
