"""The Pulumi program: declare one FastPix media per entry of the catalog (media.yaml by default).

`pulumi config set catalog other.yaml` (or FASTPIX_CATALOG) points it at another catalog file.
"""

import os
from pathlib import Path

import pulumi

from fastpix_provider.catalog import CatalogError, load_catalog
from fastpix_provider.program import declare_catalog

here = Path(__file__).resolve().parent
catalog_file = pulumi.Config().get("catalog") or os.environ.get("FASTPIX_CATALOG") or "media.yaml"
try:
    entries = load_catalog(here / catalog_file)
except CatalogError as error:
    # RunError shows the message alone: the problems are the user's to fix, a traceback would bury them.
    raise pulumi.RunError(str(error)) from None
declare_catalog(entries)
