"""Write the golden stack state of this version: `python -m tests.golden.make_golden_state`.

Run it once per release that changes what Media stores, and keep every earlier file: each one is a
promise that stacks written by that version can still be refreshed, updated and deleted.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

from fastpix_emulator import EmulatorServer
from fastpix_provider import __version__
from pulumi_local import LocalStack, program_file

ROOT = Path(__file__).resolve().parents[2]
CATALOG = {
    "intro": {"url": "https://static.fastpix.com/fp-sample-video.mp4", "title": "Intro",
              "metadata": {"team": "marketing"}},
    "trailer": {"url": "https://static.fastpix.com/fp-sample-video.mp4", "mp4Support": "capped_4k",
                "sourceAccess": True},
}


def main() -> int:
    out = Path(__file__).with_name(f"state-{__version__}.json")
    with tempfile.TemporaryDirectory() as work, EmulatorServer() as emulator:
        catalog = Path(work, "media.yaml")
        catalog.write_text(yaml.safe_dump(CATALOG))
        os.environ["FASTPIX_CATALOG"] = str(catalog)  # read by the program, which runs in this process
        stack = LocalStack.create(
            Path(work, "pulumi"), program=program_file(ROOT / "__main__.py"), stack_name="golden",
            env={"FASTPIX_API_URL": emulator.api_url,
                 "FASTPIX_USERNAME": "emulator-token", "FASTPIX_PASSWORD": "emulator-secret"},
        )
        stack.up()
        deployment = stack.export()
    out.write_text(json.dumps(deployment, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
