"""The emulator's own hooks: journal, reset, fault injection, persistence and the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fastpix_emulator import EmulatorServer, FaultRule
from tests.support.builders import ACCESS_TOKEN_ID, SECRET_KEY, media_body
from tests.support.spec import assert_matches_spec

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def control(emulator: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=emulator.base_url + "/_emulator", timeout=10)


def test_the_journal_records_method_path_status_and_time(api: httpx.Client, emulator: EmulatorServer) -> None:
    before = time.time()
    media_id = api.post("/on-demand", json=media_body()).json()["data"]["id"]
    api.get(f"/on-demand/{media_id}")
    api.get("/on-demand/not-a-uuid")
    with control(emulator) as ctl:
        entries = ctl.get("/journal").json()["data"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/v1/on-demand", 201),
        ("GET", f"/v1/on-demand/{media_id}", 200),
        ("GET", "/v1/on-demand/not-a-uuid", 422),
    ]
    assert all(before <= e["time"] <= time.time() for e in entries)


def test_reset_forgets_media_journal_and_faults(api: httpx.Client, emulator: EmulatorServer) -> None:
    api.post("/on-demand", json=media_body())
    with control(emulator) as ctl:
        ctl.post("/faults", json={"kind": "latency", "latency_ms": 1})
        assert ctl.post("/reset").status_code == 200
        assert ctl.get("/faults").json()["data"] == []
        assert ctl.get("/journal").json()["data"] == []
    assert api.get("/on-demand").json()["pagination"]["totalRecords"] == 0


def test_added_latency_delays_matching_requests_only(api: httpx.Client, emulator: EmulatorServer) -> None:
    with control(emulator) as ctl:
        ctl.post("/faults", json={"kind": "latency", "latency_ms": 600, "method": "GET", "path": r"^/v1/on-demand$"})
    started = time.monotonic()
    api.get("/on-demand")
    slow = time.monotonic() - started
    started = time.monotonic()
    api.post("/on-demand", json=media_body())
    fast = time.monotonic() - started
    assert slow >= 0.6
    assert fast < 0.6, "only the matching request is delayed"


def test_error_faults_answer_the_envelope_then_retire_after_their_count(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(kind="error", status=503, count=2))
    statuses = [api.get("/on-demand").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    emulator.faults.add(FaultRule(kind="error", status=500, count=1))
    response = api.get("/on-demand")
    assert response.status_code == 500
    assert_matches_spec(response)


def test_a_share_of_requests_fails_at_the_given_rate(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(kind="error", status=503, rate=0.3))
    statuses = [api.get("/on-demand").status_code for _ in range(200)]
    share = statuses.count(503) / len(statuses)
    assert 0.2 < share < 0.4
    assert set(statuses) == {200, 503}


def test_rate_limit_faults_carry_retry_after(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(kind="rate_limit", retry_after=2, method="DELETE", count=1))
    assert api.get("/on-demand").status_code == 200
    response = api.delete("/on-demand/7b0e3f5c-1111-4222-8333-944455556666")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert_matches_spec(response)


def test_dropped_connections_cut_the_answer_short(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(kind="drop", path="/on-demand$", method="POST", count=1))
    with pytest.raises(httpx.RemoteProtocolError, match="without sending complete message body"):
        api.post("/on-demand", json=media_body())
    assert emulator.backend.media == {}, "a drop before the request is acted on must not create anything"
    assert api.post("/on-demand", json=media_body()).status_code == 201


def test_fault_rules_are_checked_when_added(emulator: EmulatorServer) -> None:
    with control(emulator) as ctl:
        bad = ctl.post("/faults", json={"kind": "explode"})
        assert bad.status_code == 400
        assert "kind must be one of" in bad.json()["error"]["description"]
        assert "rate must be between 0 and 1" in ctl.post("/faults", json={"kind": "error", "rate": 2}).text
        added = ctl.post("/faults", json={"kind": "error", "status": 503, "count": 1})
        assert added.status_code == 201
        assert ctl.get("/faults").json()["data"][0]["status"] == 503


def test_sqlite_state_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "fastpix.db")
    auth = (ACCESS_TOKEN_ID, SECRET_KEY)
    with EmulatorServer(access_token_id=ACCESS_TOKEN_ID, secret_key=SECRET_KEY, db=db) as first:
        media_id = httpx.post(first.api_url + "/on-demand", json=media_body(title="kept"), auth=auth).json()["data"]["id"]
        gone = httpx.post(first.api_url + "/on-demand", json=media_body(), auth=auth).json()["data"]["id"]
        httpx.delete(f"{first.api_url}/on-demand/{gone}", auth=auth)
    with EmulatorServer(access_token_id=ACCESS_TOKEN_ID, secret_key=SECRET_KEY, db=db) as second:
        assert httpx.get(f"{second.api_url}/on-demand/{media_id}", auth=auth).json()["data"]["title"] == "kept"
        assert httpx.get(f"{second.api_url}/on-demand/{gone}", auth=auth).status_code == 404


def test_memory_state_does_not_survive_a_restart() -> None:
    auth = (ACCESS_TOKEN_ID, SECRET_KEY)
    with EmulatorServer(access_token_id=ACCESS_TOKEN_ID, secret_key=SECRET_KEY) as first:
        media_id = httpx.post(first.api_url + "/on-demand", json=media_body(), auth=auth).json()["data"]["id"]
    with EmulatorServer(access_token_id=ACCESS_TOKEN_ID, secret_key=SECRET_KEY) as second:
        assert httpx.get(f"{second.api_url}/on-demand/{media_id}", auth=auth).status_code == 404


def start_cli(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "fastpix_emulator", *args], cwd=PROJECT_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **(env or {})})
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_command_line_prints_its_url_first_and_exits_0_on_a_signal(stop: signal.Signals) -> None:
    process, first_line = start_cli("--host", "127.0.0.1", "--port", "0", "--access-token-id", "cli-id",
                                    "--secret-key", "cli-key", "--processing-delay", "0")
    try:
        assert first_line.startswith("FASTPIX_API_URL=http://127.0.0.1:")
        api_url = first_line.split("=", 1)[1]
        assert api_url.endswith("/v1")
        created = httpx.post(api_url + "/on-demand", json=media_body(), auth=("cli-id", "cli-key"))
        assert created.status_code == 201
    finally:
        process.send_signal(stop)
        assert process.wait(timeout=10) == 0


def test_the_command_line_takes_credentials_and_faults_from_env_and_flags(tmp_path: Path) -> None:
    process, first_line = start_cli(
        "--db", str(tmp_path / "cli.db"), "--fault", '{"kind": "error", "status": 503, "count": 1}',
        env={"FASTPIX_USERNAME": "env-id", "FASTPIX_PASSWORD": "env-key"})
    try:
        api_url = first_line.split("=", 1)[1]
        assert httpx.get(api_url + "/on-demand", auth=("env-id", "env-key")).status_code == 503
        assert httpx.get(api_url + "/on-demand", auth=("env-id", "env-key")).status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_the_command_line_refuses_to_start_without_credentials() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("FASTPIX_USERNAME", "FASTPIX_PASSWORD")}
    result = subprocess.run([sys.executable, "-m", "fastpix_emulator"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, env=env, timeout=30)
    assert result.returncode == 2
    assert "credentials are required" in result.stderr


def test_after_faults_act_on_the_request_then_lose_the_answer(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.faults.add(FaultRule(kind="error", status=504, method="POST", after=True, count=1))
    response = api.post("/on-demand", json=media_body(title="made anyway"))
    assert response.status_code == 504
    [made] = emulator.backend.media.values()
    assert made.title == "made anyway"
    emulator.faults.add(FaultRule(kind="drop", method="POST", after=True, count=1))
    with pytest.raises(httpx.RemoteProtocolError, match="without sending complete message body"):
        api.post("/on-demand", json=media_body())
    assert len(emulator.backend.media) == 2
    with pytest.raises(ValueError, match="after applies to error and drop"):
        FaultRule(kind="latency", after=True)
