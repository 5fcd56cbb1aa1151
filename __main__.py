"""The Pulumi program: declare one FastPix media per entry of the catalog (media.yaml by default).

`pulumi config set catalog other.yaml` (or FASTPIX_CATALOG) points it at another catalog file.
"""

from pathlib import Path

from fastpix_provider.program import declare_catalog_file

declare_catalog_file(Path(__file__).resolve().parent)
