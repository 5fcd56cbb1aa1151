"""The emulator as a process of its own, as `python -m fastpix_emulator` runs it.

For callers that need it outside their own process: the demo, benchmarks (so the load generator
does not share a GIL with the server), the GitOps rehearsal, and tests that stop and restart it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class EmulatorProcess:
    """`python -m fastpix_emulator` with the given credentials and flags; `api_url` once started."""

    def __init__(self, access_token_id: str, secret_key: str, *flags: str) -> None:
        self.args = [sys.executable, "-m", "fastpix_emulator", "--access-token-id", access_token_id,
                     "--secret-key", secret_key, *flags]
        if "--port" not in flags:
            self.args += ["--port", "0"]
        self.process: subprocess.Popen[str] | None = None
        self.api_url = ""

    def start(self, *extra_flags: str) -> EmulatorProcess:
        process = self.process = subprocess.Popen([*self.args, *extra_flags], cwd=PROJECT_ROOT,
                                                  stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        first_line = process.stdout.readline().strip()
        if not first_line.startswith("FASTPIX_API_URL="):
            process.kill()
            raise RuntimeError(f"the FastPix emulator did not start: {first_line!r}")
        self.api_url = first_line.split("=", 1)[1]
        return self

    def stop(self) -> int:
        """SIGTERM, as a supervisor would; returns the exit status (0 for a clean stop)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
