"""Rehearse the GitOps pipeline locally: the same steps as github-workflow.yml, offline.

    .venv/bin/python examples/gitops/rehearse.py

Starts the FastPix emulator, keeps the state on a file:// backend in a temporary folder, and plays a
few pull requests through `pulumi preview --json`, the deletion gate and `pulumi up`, with the real
`pulumi` CLI (scripts/install-pulumi). Each step checks what it expects and says what it saw; the
script exits 0 only if every expectation held.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fastpix_emulator.process import EmulatorProcess  # noqa: E402
from pulumi_local import CliStack, find_toolchain  # noqa: E402

AUTH = ("rehearsal-token", "rehearsal-secret")
URL = "https://static.fastpix.com/fp-sample-video.mp4"


class Rehearsal:
    def __init__(self, work: Path, api_url: str) -> None:
        self.catalog = work / "media.yaml"
        self.entries: dict[str, dict[str, object]] = {}
        self.api_url = api_url
        self.stack = CliStack(work / "pulumi", find_toolchain(), {
            "FASTPIX_CATALOG": str(self.catalog), "FASTPIX_API_URL": api_url,
            "FASTPIX_USERNAME": AUTH[0], "FASTPIX_PASSWORD": AUTH[1]}, stack="prod")
        self.preview_file = work / "preview.json"

    def commit(self, entries: dict[str, dict[str, object]]) -> None:
        self.entries = entries
        self.catalog.write_text(yaml.safe_dump(entries, sort_keys=False))

    def pull_request(self, title: str, *, approved: bool = False) -> tuple[int, str]:
        """The preview job: preview --json --refresh, then the gate; returns its exit code and comment."""
        print(f"\n--- pull request: {title}")
        self.preview_file.write_text(self.stack.run("preview", "--json", "--refresh").stdout)
        env = {"FASTPIX_ALLOW_DELETIONS": "true"} if approved else {}
        gate = subprocess.run([sys.executable, "-m", "fastpix_provider.gate", str(self.preview_file)], cwd=ROOT,
                              capture_output=True, text=True, env={"PATH": "", **env})
        print(gate.stdout, end="")
        return gate.returncode, gate.stdout

    def merge(self) -> None:
        """The apply job."""
        self.stack.up("--refresh")
        print("merged: pulumi up applied the catalog")

    def media(self) -> dict[str, dict[str, object]]:
        with httpx.Client(base_url=self.api_url, auth=AUTH) as client:
            return {m["id"]: m for m in client_pages(client)}


def client_pages(client: httpx.Client) -> list[dict[str, object]]:
    items, offset = [], 1
    while True:
        body = client.get("/on-demand", params={"limit": 50, "offset": offset}).json()
        items += body["data"]
        if offset >= body["pagination"]["offsetCount"]:
            return items
        offset += 1


def expect(condition: bool, what: str) -> None:
    print(f"  {'ok ' if condition else 'FAILED'} {what}")
    if not condition:
        raise SystemExit(f"rehearsal failed: {what}")


def main() -> int:
    emulator = EmulatorProcess(*AUTH, "--processing-delay", "0").start()
    api_url = emulator.api_url
    try:
        with tempfile.TemporaryDirectory(prefix="fastpix-rehearsal-") as work:
            rehearsal = Rehearsal(Path(work), api_url)
            rehearsal.commit({f"lesson-{i}": {"url": URL, "title": f"Lesson {i}"} for i in range(1, 6)})
            code, _ = rehearsal.pull_request("a first catalog of five lessons")
            expect(code == 0, "the gate passes a change that only creates")
            rehearsal.merge()
            expect(len(rehearsal.media()) == 5, "FastPix holds the five lessons")

            rehearsal.commit({**rehearsal.entries, "lesson-1": {"url": URL, "title": "Lesson 1, recut"}})
            code, comment = rehearsal.pull_request("retitle lesson 1")
            expect(code == 0 and "deletes and replaces no media" in comment, "a retitle deletes nothing")
            rehearsal.merge()

            outputs = json.loads(rehearsal.stack.run("stack", "output", "--json").stdout)
            doomed = ["lesson-2", "lesson-3", "lesson-4", "lesson-5"]
            rehearsal.commit({k: v for k, v in rehearsal.entries.items() if k not in doomed})
            code, comment = rehearsal.pull_request("retire four lessons")
            expect(code == 1, "the gate blocks four deletions (limit 3)")
            expect(all(outputs[key]["id"] in comment for key in doomed), "the comment names every media it would delete")
            code, comment = rehearsal.pull_request("retire four lessons, approved", approved=True)
            expect(code == 0 and "Approved" in comment, "an approval lets it through")
            rehearsal.merge()
            expect(set(rehearsal.media()) == {outputs["lesson-1"]["id"]}, "only lesson 1 is left in FastPix")

            with httpx.Client(base_url=api_url, auth=AUTH) as client:
                client.patch(f"/on-demand/{outputs['lesson-1']['id']}", json={"title": "edited in the dashboard"})
            drift = rehearsal.stack.run("preview", "--refresh", "--diff").stdout
            expect("edited in the dashboard" in drift and "1 to update" in drift,
                   "drift made in the dashboard shows in preview --refresh")
            rehearsal.merge()
            rehearsal.stack.run("destroy", "--yes")
            expect(rehearsal.media() == {}, "destroy leaves FastPix empty")
    finally:
        emulator.stop()
    print("\nrehearsal passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
