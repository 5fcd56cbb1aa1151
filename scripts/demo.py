"""The quick-start demo: the whole lifecycle of a media catalog against the local FastPix emulator.

1. start `python -m fastpix_emulator` on a free loopback port;
2. `pulumi up` the catalog in media.yaml (a real engine, a file:// backend under .pulumi-state/); the
   `teaser` entry is a local file (videos/teaser.mp4), uploaded to the emulator's upload URL;
3. remove one entry from the catalog and `pulumi up` again: that media is deleted in FastPix;
4. show that FastPix (the emulator) answers 404 for it, then destroy the stack and stop.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
import yaml

from fastpix_emulator.process import EmulatorProcess
from pulumi_local import LocalStack, program_file

ROOT = Path(__file__).resolve().parent.parent

TOKEN, SECRET = "demo-token", "demo-secret-key"


def say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def main() -> int:
    work_dir = ROOT / ".pulumi-state" / "demo"
    shutil.rmtree(work_dir, ignore_errors=True)
    say("Starting the local FastPix emulator")
    # --loopback-uploads: direct-upload URLs point at the emulator itself, so the file of `teaser` reaches it.
    emulator = EmulatorProcess(TOKEN, SECRET, "--processing-delay", "0", "--loopback-uploads").start()
    api_url = emulator.api_url
    print(f"FASTPIX_API_URL={api_url}")
    catalog_dir = Path(tempfile.mkdtemp(prefix="fastpix-demo-"))
    try:
        catalog = yaml.safe_load((ROOT / "media.yaml").read_text())
        catalog_file = catalog_dir / "media.yaml"
        catalog_file.write_text(yaml.safe_dump(catalog))
        os.environ["FASTPIX_CATALOG"] = str(catalog_file)

        stack = LocalStack.create(
            work_dir, program=program_file(ROOT / "__main__.py"), stack_name="demo",
            config={"fastpix:apiUrl": api_url},
            env={"FASTPIX_USERNAME": TOKEN, "FASTPIX_PASSWORD": SECRET},
        )
        say(f"pulumi up: creating the {len(catalog)} media of media.yaml")
        stack.up(on_output=print)
        outputs = stack.outputs()
        welcome = httpx.get(f"{api_url}/on-demand/{outputs['welcome']['id']}", auth=(TOKEN, SECRET)).json()["data"]
        print("'welcome' has subtitles:", [(t["languageCode"], t["languageName"]) for t in welcome["tracks"]
                                           if t["type"] == "subtitle"])
        teaser = outputs["teaser"]["id"]
        uploaded = httpx.get(f"{api_url}/on-demand/{teaser}", auth=(TOKEN, SECRET)).json()["data"]
        print(f"'teaser' was uploaded from {catalog['teaser']['file']}: media {teaser}, status {uploaded['status']}")
        say("pulumi up again: nothing changed, so nothing is uploaded")
        stack.up(on_output=print)

        removed = next(iter(catalog))
        removed_id = outputs[removed]["id"]
        del catalog[removed]
        catalog_file.write_text(yaml.safe_dump(catalog))
        say(f"Removing '{removed}' from the catalog, then pulumi up")
        stack.up(on_output=print)

        say(f"Asking FastPix for '{removed}' ({removed_id})")
        answer = httpx.get(f"{api_url}/on-demand/{removed_id}", auth=(TOKEN, SECRET))
        print(f"GET /v1/on-demand/{removed_id} -> {answer.status_code} {answer.json()}")
        if answer.status_code != 404:
            print("unexpected: the media still exists", file=sys.stderr)
            return 1
        kept = [outputs[key]["id"] for key in catalog]
        statuses = [httpx.get(f"{api_url}/on-demand/{media_id}", auth=(TOKEN, SECRET)).status_code for media_id in kept]
        print(f"the other {len(kept)} media answer {statuses}")

        say("Cleaning up: pulumi destroy")
        stack.destroy(on_output=print)
        stack.remove()
        say("Done: created, deleted by removing it from the catalog, and cleaned up.")
        return 0
    finally:
        emulator.stop()
        shutil.rmtree(catalog_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
