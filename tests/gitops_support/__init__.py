"""Test data of the GitOps pipeline (a real preview), and where its workflow is."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "templates" / "fastpix-media" / ".github" / "workflows" / "fastpix.yml"
