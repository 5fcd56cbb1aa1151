"""Moved to `fastpix_provider.cli.recover` (the `fastpix-recover` command) in 0.2.0.

Kept so that pipelines written for 0.1.0 (`python -m fastpix_provider.recover`) and imports of
`fastpix_provider.recover` keep working: this module *is* the new one.
"""

import sys

from .cli import recover as _moved

if __name__ == "__main__":
    sys.exit(_moved.main())
sys.modules[__name__] = _moved
