"""The owner tag: what it says, what it proves, and that 0.1.0's tags still read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastpix_provider.owner import (
    PATH_MAX_LENGTH,
    TAG_MAX_LENGTH,
    OwnerTag,
    current_backend_url,
    owner_path,
    stack_id_for,
)


def test_a_tag_round_trips_with_stack_id_and_kept_mark() -> None:
    tag = OwnerTag("proj/dev/intro", "0a1b2c3d", "0123456789ab", kept=True)
    assert tag.render() == "proj/dev/intro#0a1b2c3d@0123456789ab!kept"
    assert OwnerTag.parse(tag.render()) == tag


def test_a_0_1_0_tag_still_parses_and_proves_no_stack() -> None:
    tag = OwnerTag.parse("proj/dev/intro#0a1b2c3d")
    assert tag == OwnerTag("proj/dev/intro", "0a1b2c3d", None, kept=False)
    assert tag.is_legacy and tag.project_and_stack == "proj/dev"
    assert not tag.belongs_to("proj/dev/intro", "0123456789ab")


@pytest.mark.parametrize("text", [None, 5, "", "no-nonce", "proj/dev/x#XYZ", "#0a1b2c3d", "p/s/k#0a1b2c3d@short",
                                  "x" * 300])
def test_anything_else_is_not_a_tag(text: object) -> None:
    assert OwnerTag.parse(text) is None


def test_a_tag_belongs_only_to_its_own_path_and_stack() -> None:
    tag = OwnerTag("proj/dev/intro", "0a1b2c3d", "0123456789ab")
    assert tag.belongs_to("proj/dev/intro", "0123456789ab")
    assert not tag.belongs_to("proj/dev/intro", "ba9876543210")
    assert not tag.belongs_to("proj/dev/outro", "0123456789ab")
    assert not tag.belongs_to("proj/dev/intro", None)


def test_long_names_are_cut_the_same_way_every_time_and_fit_fastpix() -> None:
    path = owner_path("p" * 100, "s" * 100, "n" * 100)
    assert len(path) == PATH_MAX_LENGTH and path == owner_path("p" * 100, "s" * 100, "n" * 100)
    tag = OwnerTag(path, "0a1b2c3d", "0123456789ab", kept=True).render()
    assert len(tag) == TAG_MAX_LENGTH
    assert OwnerTag.parse(tag) == OwnerTag(path, "0a1b2c3d", "0123456789ab", kept=True)


def test_the_stack_id_tells_backends_and_organisations_apart() -> None:
    base = stack_id_for("file:///srv/state", "organization", "proj", "dev")
    assert len(base) == 12 and base == stack_id_for("file:///srv/state/", "organization", "proj", "dev")
    assert base != stack_id_for("file:///srv/other", "organization", "proj", "dev")
    assert base != stack_id_for("file:///srv/state", "acme", "proj", "dev")
    assert base != stack_id_for("file:///srv/state", "organization", "proj", "prod")


def test_the_backend_is_found_where_the_cli_finds_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    assert current_backend_url({"PULUMI_HOME": str(home)}, project) == "https://api.pulumi.com"
    (home / "credentials.json").write_text(json.dumps({"current": "s3://bucket"}))
    assert current_backend_url({"PULUMI_HOME": str(home)}, project) == "s3://bucket"
    (project / "Pulumi.yaml").write_text("name: p\nruntime: python\nbackend:\n  url: file://./state\n")
    assert current_backend_url({"PULUMI_HOME": str(home)}, project / "sub") == "file://./state"
    assert current_backend_url({"PULUMI_HOME": str(home), "PULUMI_BACKEND_URL": "gs://b"}, project) == "gs://b"
