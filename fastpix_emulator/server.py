"""Run the emulator on uvicorn: in a background thread (tests, benchmarks) or in the foreground (CLI)."""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from typing import Any

import uvicorn

from .app import Credentials, Workspaces, create_app
from .faults import FaultInjector, FaultRule, Journal
from .models import OnDemandBackend, loopback_upload_url, workspace_id_for
from .store import SqliteStore, Store


class EmulatorServer:
    """A FastPix emulator on a loopback port. `with EmulatorServer(...) as emulator:` starts and stops it.

    `access_token_id`/`secret_key` open the default workspace (`backend`); `extra_workspaces` maps more
    Access Token IDs to their Secret Keys, each its own workspace with its own media and `workspaceId`
    (`add_workspace` adds one later, `workspace` finds one).

    `loopback_uploads=True` hands out direct-upload URLs on the emulator itself
    (`http://127.0.0.1:<port>/_emulator/storage/...`, same path and query as the live https form), so a
    client that sends the file to the URL as given, as fastpix-pulumi does, reaches it; the attribute
    of the same name switches it for every workspace at any time.
    """

    def __init__(
        self,
        *,
        access_token_id: str = "emulator-token",
        secret_key: str = "emulator-secret",
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | None = None,
        processing_delay: float = 0.0,
        faults: list[FaultRule] | None = None,
        seed: int = 0,
        extra_workspaces: dict[str, str] | None = None,
        loopback_uploads: bool = False,
    ) -> None:
        self.credentials = Credentials(access_token_id, secret_key)
        self._store: Store | None = SqliteStore(db) if db else None
        self.backend = OnDemandBackend(processing_delay=processing_delay, store=self._store)
        self.workspaces = Workspaces(self.credentials, self.backend)
        self.faults = FaultInjector(seed)
        for rule in faults or []:
            self.faults.add(rule)
        self.journal = Journal()
        self.app = create_app(self.credentials, backend=self.backend, faults=self.faults, journal=self.journal,
                              workspaces=self.workspaces)
        for token, secret in (extra_workspaces or {}).items():
            self.add_workspace(token, secret)
        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self.loopback_uploads = loopback_uploads
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def add_workspace(self, access_token_id: str, secret_key: str) -> str:
        """Serve one more workspace behind these credentials; returns its `workspaceId` (stable for the
        Access Token ID). It starts empty, with the default workspace's processing delay."""
        backend = OnDemandBackend(processing_delay=self.backend.processing_delay, store=self._store,
                                  workspace_id=workspace_id_for(access_token_id))
        backend.upload_base = self.backend.upload_base
        self.workspaces.add(Credentials(access_token_id, secret_key), backend)
        return backend.workspace_id

    def rotate_secret_key(self, access_token_id: str, secret_key: str) -> None:
        """Accept only `secret_key` for this Access Token ID from now on."""
        self.workspaces.rotate_secret_key(access_token_id, secret_key)

    def workspace(self, access_token_id: str) -> OnDemandBackend:
        """The workspace behind an Access Token ID."""
        backend = self.workspaces.by_token(access_token_id)
        if backend is None:
            raise KeyError("no workspace has that Access Token ID")
        return backend

    def reset(self) -> None:
        """Every workspace emptied, no faults, an empty journal."""
        for backend in self.workspaces.backends():
            backend.reset()
        self.faults.clear()
        self.journal.clear()

    @property
    def loopback_uploads(self) -> bool:
        return self.backend.upload_base is not None

    @loopback_uploads.setter
    def loopback_uploads(self, on: bool) -> None:
        for backend in self.workspaces.backends():
            backend.upload_base = f"{self.base_url}/_emulator/storage" if on else None

    def loopback_upload_url(self, upload_url: str) -> str:
        """Where this emulator receives the bytes of a direct upload whose URL (https, shaped like the
        live API's) it handed out: PUT the file there."""
        return loopback_upload_url(upload_url, self.base_url)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The value for FASTPIX_API_URL / fastpix:apiUrl."""
        return f"{self.base_url}/v1"

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off",
            http="httptools", loop="uvloop", timeout_keep_alive=30,
        )

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM (uvicorn installs the handlers)."""
        server = self._server = uvicorn.Server(self._config())
        # While serving, uvicorn captures SIGINT/SIGTERM, shuts down, then re-raises the signal to the
        # handler that was there before. Without one of ours that re-raise would end the process
        # "killed by SIGTERM"; a requested stop is a success, so ours only asks the server to exit.

        def stop(_signum: int, _frame: Any) -> None:
            server.should_exit = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        server.run(sockets=[self._socket])

    def start(self) -> EmulatorServer:
        # uvicorn touches signal handlers only on the main thread, so the owner's stay as they are.
        self._server = uvicorn.Server(self._config())
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="fastpix-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the FastPix emulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def quiet_dropped_connection_logs() -> None:
    """An injected dropped connection is an expected event, not an error worth a traceback."""

    class _DropFilter(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "fault injection: connection dropped" not in str(record.exc_info[1] if record.exc_info else "")

    logging.getLogger("uvicorn.error").addFilter(_DropFilter())


quiet_dropped_connection_logs()
