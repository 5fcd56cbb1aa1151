"""A local FastPix API emulator: the on-demand media API of FastPix's OpenAPI spec, on loopback.

    with EmulatorServer(access_token_id="id", secret_key="key") as emulator:
        emulator.api_url   # http://127.0.0.1:<port>/v1
"""

from .faults import FaultRule
from .models import WORKSPACE_ID, OnDemandBackend, loopback_upload_url
from .server import EmulatorServer

__all__ = ["WORKSPACE_ID", "EmulatorServer", "FaultRule", "OnDemandBackend", "loopback_upload_url"]
