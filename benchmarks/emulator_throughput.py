"""How many `GET /v1/on-demand/{id}` per second the emulator serves over keep-alive on loopback.

    .venv/bin/python -m benchmarks.emulator_throughput [--seconds 5] [--concurrency 16]

The emulator runs in its own process (as `python -m fastpix_emulator`), the load comes from this one
over a fixed pool of keep-alive connections, so the number is the emulator's, not a shared GIL's.
Target: at least 1,500 per second on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
from pathlib import Path

import httpx

from fastpix_emulator.process import EmulatorProcess

ROOT = Path(__file__).resolve().parent.parent

AUTH = ("bench-token", "bench-secret")


async def _connection(host: str, port: int, request: bytes, deadline: float) -> tuple[int, int]:
    """One keep-alive connection sending GETs back to back, reading each answer by its Content-Length.

    A bare asyncio stream instead of an HTTP client library: a full client costs more CPU per request
    than the emulator does, and would measure itself on a 2-core machine.
    """
    reader, writer = await asyncio.open_connection(host, port)
    ok = errors = 0
    try:
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if status == 200:
                ok += 1
            else:
                errors += 1
    finally:
        writer.close()
    return ok, errors


async def load(api_url: str, media_id: str, seconds: float, concurrency: int) -> tuple[int, int]:
    url = httpx.URL(f"{api_url}/on-demand/{media_id}")
    token = base64.b64encode(f"{AUTH[0]}:{AUTH[1]}".encode()).decode()
    request = (f"GET {url.raw_path.decode()} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n"
               f"Authorization: Basic {token}\r\nAccept: application/json\r\n\r\n").encode()
    deadline = time.monotonic() + seconds
    results = await asyncio.gather(*(_connection(url.host, url.port or 80, request, deadline) for _ in range(concurrency)))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    emulator = EmulatorProcess(*AUTH, "--processing-delay", "0").start()
    try:
        api_url = emulator.api_url
        media_id = httpx.post(f"{api_url}/on-demand", auth=AUTH, json={
            "inputs": [{"type": "video", "url": "https://static.fastpix.com/fp-sample-video.mp4"}],
            "accessPolicy": "public"}).json()["data"]["id"]
        asyncio.run(load(api_url, media_id, 1.0, args.concurrency))  # warm up
        started = time.monotonic()
        ok, errors = asyncio.run(load(api_url, media_id, args.seconds, args.concurrency))
        elapsed = time.monotonic() - started
    finally:
        emulator.stop()
    rate = ok / elapsed
    print(json.dumps({"requests": ok, "errors": errors, "seconds": round(elapsed, 2),
                      "concurrency": args.concurrency, "requests_per_second": round(rate)}))
    print(f"GET /v1/on-demand/{{id}}: {rate:,.0f} requests/s over keep-alive ({'meets' if rate >= 1500 else 'MISSES'} "
          "the 1,500/s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
