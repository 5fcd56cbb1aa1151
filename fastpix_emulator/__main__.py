"""`python -m fastpix_emulator`: serve the FastPix emulator until SIGINT or SIGTERM.

The first line printed is `FASTPIX_API_URL=http://127.0.0.1:<port>/v1`, so a script can start it with
`--port 0` and read the address it got. Each `--workspace ID:KEY` serves one more workspace behind those
credentials; a line `FASTPIX_WORKSPACE=<Access Token ID> <workspaceId>` follows for each.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .faults import FaultRule
from .server import EmulatorServer


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fastpix_emulator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    parser.add_argument("--access-token-id", default=os.environ.get("FASTPIX_USERNAME"),
                        help="Basic auth username (default: $FASTPIX_USERNAME)")
    parser.add_argument("--secret-key", default=os.environ.get("FASTPIX_PASSWORD"),
                        help="Basic auth password (default: $FASTPIX_PASSWORD)")
    parser.add_argument("--db", help="SQLite file that keeps the workspace across restarts (default: memory)")
    parser.add_argument("--processing-delay", type=float, default=0.5,
                        help="seconds from Created to Ready (default 0.5; 0 makes media Ready at once)")
    parser.add_argument("--latency-ms", type=int, default=0, help="latency added to every API request")
    parser.add_argument("--fault", action="append", default=[], metavar="JSON",
                        help='a fault rule, e.g. \'{"kind": "error", "status": 503, "rate": 0.2}\'; repeatable')
    parser.add_argument("--seed", type=int, default=0, help="seed of the fault dice, so runs repeat")
    parser.add_argument("--loopback-uploads", action="store_true",
                        help="hand out direct-upload URLs on the emulator itself (http://127.0.0.1:<port>/_emulator/"
                             "storage/...) instead of the live https form, so clients can send files to them as given")
    parser.add_argument("--workspace", action="append", default=[], metavar="ID:KEY",
                        help="one more workspace behind these credentials (Access Token ID:Secret Key); repeatable")
    args = parser.parse_args(argv)
    if not args.access_token_id or not args.secret_key:
        parser.error("credentials are required: --access-token-id/--secret-key or FASTPIX_USERNAME/FASTPIX_PASSWORD")
    if args.processing_delay < 0:
        parser.error("--processing-delay must be 0 or more seconds")
    for raw in args.workspace:
        token, sep, secret = raw.partition(":")
        if not sep or not token or not secret or token == args.access_token_id:
            parser.error("--workspace takes ID:KEY, both non-empty, the ID unlike the default workspace's")
    return args


def build_faults(args: argparse.Namespace) -> list[FaultRule]:
    rules = [FaultRule(kind="latency", latency_ms=args.latency_ms)] if args.latency_ms else []
    for raw in args.fault:
        try:
            rules.append(FaultRule.from_json(json.loads(raw)))
        except (ValueError, TypeError) as exc:
            raise SystemExit(f"--fault {raw!r}: {exc}") from None
    return rules


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    server = EmulatorServer(
        access_token_id=args.access_token_id, secret_key=args.secret_key, host=args.host, port=args.port,
        db=args.db, processing_delay=args.processing_delay, faults=build_faults(args), seed=args.seed,
        loopback_uploads=args.loopback_uploads,
    )
    workspace_ids = [(token, server.add_workspace(token, secret))
                     for token, _, secret in (raw.partition(":") for raw in args.workspace)]
    print(f"FASTPIX_API_URL={server.api_url}", flush=True)
    for token, workspace_id in workspace_ids:
        print(f"FASTPIX_WORKSPACE={token} {workspace_id}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
