"""The FastPix video library: one media per entry of media.yaml (see its comments)."""

from pathlib import Path

from fastpix_provider.program import declare_catalog_file

declare_catalog_file(Path(__file__).resolve().parent)
