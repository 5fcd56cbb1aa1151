"""One overall deadline per HTTP attempt, even against a server that trickles its answer.

A real loopback server (a thread and a socket, no emulator) answers one byte at a time; the call must
end in about the deadline, as a TransportError that says the request was sent.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from fastpix_provider.client import Credentials, FastPixClient
from fastpix_provider.errors import TransportError
from fastpix_provider.retry import RetryPolicy

DEADLINE = 1.5
SERVER_LIFETIME = 8.0  # the stub stops by itself, so a client without a deadline fails this test in ~8 s
BODY = b'{"success": true, "data": {"id": "m1"}}'


class TrickleServer:
    """Answers every request on 127.0.0.1, sending `mode`'s bytes one per `interval` seconds."""

    def __init__(self, mode: str, interval: float = 1.0) -> None:
        self.mode = mode
        self.interval = interval
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._threads: list[threading.Thread] = []
        self.port = self._listener.getsockname()[1]

    def __enter__(self) -> TrickleServer:
        self._started = time.monotonic()
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=SERVER_LIFETIME)
        self._listener.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _spawn(self, target, *args) -> None:  # type: ignore[no-untyped-def]
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _alive(self) -> bool:
        return not self._stop.is_set() and time.monotonic() - self._started < SERVER_LIFETIME

    def _accept(self) -> None:
        while self._alive():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(1.0)
            request = b""
            try:
                while b"\r\n\r\n" not in request and len(request) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY)
                if self.mode == "body":
                    conn.sendall(head)
                    trickle = BODY
                elif self.mode == "headers":
                    trickle = head + BODY
                else:  # silent: read the request, never answer
                    trickle = b""
                for byte in trickle:
                    if self._stop.wait(self.interval) or not self._alive():
                        return
                    conn.sendall(bytes([byte]))
                while self._alive() and not self._stop.wait(0.1):
                    pass
            except OSError:
                return


@pytest.fixture
def client_of() -> Iterator:  # type: ignore[type-arg]
    clients: list[FastPixClient] = []

    def make(server: TrickleServer) -> FastPixClient:
        client = FastPixClient(server.url, Credentials("id-123456", "key-123456"), request_deadline=DEADLINE,
                               policy=RetryPolicy(max_attempts=1), sleep=lambda s: None, on_retry=lambda m: None)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.mark.parametrize("mode", ["body", "headers", "silent"])
def test_a_trickling_or_silent_server_is_cut_off_at_the_deadline(mode: str, client_of) -> None:  # type: ignore[no-untyped-def]
    with TrickleServer(mode) as server:
        client = client_of(server)
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            client.get_media("m1")
        elapsed = time.monotonic() - started
    assert caught.value.request_sent is True
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + 1.5, elapsed
    assert "deadline" in str(caught.value)


def test_a_fast_answer_over_a_real_socket_is_read_whole(client_of) -> None:  # type: ignore[no-untyped-def]
    with TrickleServer("body", interval=0.0) as server:
        assert client_of(server).get_media("m1") == {"id": "m1"}
