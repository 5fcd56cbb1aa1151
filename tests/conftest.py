"""Shared fixtures: one emulator per session (reset before each test), throw-away engine stacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fastpix_emulator import EmulatorServer
from pulumi_local import EngineToolchain, LocalStack, find_toolchain, program_file
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY
from tests.support.providers import ProviderWiring

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The package itself is installed (pip install -e .); the dynamic providers some tests define
# (tests/support/marker.py) are not, and the engine's provider process must import them.
TEST_PROVIDERS_IMPORTABLE = {"PYTHONPATH": str(PROJECT_ROOT)}


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    with EmulatorServer(access_token_id=ACCESS_TOKEN_ID, secret_key=SECRET_KEY, processing_delay=0.0) as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> EmulatorServer:
    """The session's emulator, emptied: no media, no faults, an empty journal, no processing delay."""
    emulator_server.backend.reset()
    emulator_server.backend.processing_delay = 0.0
    emulator_server.faults.clear()
    emulator_server.journal.clear()
    return emulator_server


SECOND_ACCESS_TOKEN_ID = "test-second-workspace-id-51d2"
SECOND_SECRET_KEY = "test-second-workspace-key-8e4a"


@pytest.fixture
def second_workspace(emulator: EmulatorServer) -> tuple[str, str, str]:
    """(access_token_id, secret_key, workspace_id) of a second workspace of the session's emulator,
    emptied like the first: same API URL, other credentials, other media, another `workspaceId`."""
    try:
        backend = emulator.workspace(SECOND_ACCESS_TOKEN_ID)
    except KeyError:
        emulator.add_workspace(SECOND_ACCESS_TOKEN_ID, SECOND_SECRET_KEY)
        backend = emulator.workspace(SECOND_ACCESS_TOKEN_ID)
    backend.reset()
    backend.processing_delay = 0.0
    return SECOND_ACCESS_TOKEN_ID, SECOND_SECRET_KEY, backend.workspace_id


@pytest.fixture
def wire(emulator: EmulatorServer) -> Iterator[ProviderWiring]:
    """`wire(MediaProvider, attempts=2)`: a provider talking to the session's emulator, without the engine."""
    wiring = ProviderWiring(emulator.api_url)
    yield wiring
    wiring.close()


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """A plain HTTP client of the emulator's API, authenticated."""
    with httpx.Client(base_url=emulator.api_url, auth=(ACCESS_TOKEN_ID, SECRET_KEY), timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def toolchain() -> EngineToolchain:
    return find_toolchain()


StackFactory = Callable[..., LocalStack]


@pytest.fixture
def make_stack(tmp_path: Path, toolchain: EngineToolchain) -> Iterator[StackFactory]:
    """Create throw-away stacks on a file:// backend under tmp_path; removed after the test."""
    created: list[LocalStack] = []

    def make(program: Callable[[], None], *, stack_name: str = "test", work_dir: Path | None = None,
             env: dict[str, str] | None = None, **kwargs: Any) -> LocalStack:
        stack = LocalStack.create(work_dir or tmp_path / "pulumi", program=program, stack_name=stack_name,
                                  toolchain=toolchain, env={**TEST_PROVIDERS_IMPORTABLE, **(env or {})}, **kwargs)
        created.append(stack)
        return stack

    yield make
    failures = []
    for stack in created:
        try:
            stack.remove()
        except Exception as error:  # every stack is removed before any failure is reported
            failures.append(error)
    if failures:
        raise failures[0]


@pytest.fixture
def catalog_stack(emulator: EmulatorServer, make_stack: StackFactory, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """A stack of the project's real program, reading the catalog file this fixture returns."""
    from tests.support.builders import CatalogFile

    def make(entries: dict[str, Any] | None = None, *, secret_key: str = SECRET_KEY, **kwargs: Any) -> Any:
        catalog = CatalogFile(tmp_path / "media.yaml", entries or {})
        monkeypatch.setenv("FASTPIX_CATALOG", str(catalog.path))
        stack = make_stack(
            program_file(PROJECT_ROOT / "__main__.py"),
            config={"fastpix:apiUrl": emulator.api_url},
            env={"FASTPIX_USERNAME": ACCESS_TOKEN_ID, "FASTPIX_PASSWORD": secret_key},
            **kwargs,
        )
        # The program runs inline, in this process: let it see the backend as `pulumi` and `fastpix-recover`
        # do, so that the stack id in its owner tags is the one recover computes for a state that holds none.
        monkeypatch.setenv("PULUMI_BACKEND_URL", (stack.work_dir / "state").as_uri())
        return stack, catalog

    return make
