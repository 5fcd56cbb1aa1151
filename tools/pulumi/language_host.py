"""A Python language host for the Pulumi CLI, for machines where Pulumi's own cannot be had.

Pulumi's host (`pulumi-language-python`, Go module sdk/python/cmd/pulumi-language-python/v3) is not
served by the Go module proxy this project builds the engine from, so without it `pulumi up` cannot
start a Python program. This host does the part `preview`/`up`/`destroy` need: it serves Pulumi's
LanguageRuntime gRPC service and runs the program with `pulumi-language-python-exec`, the executor
of the same SDK release, in the project's virtualenv (Pulumi.yaml `runtime.options.virtualenv`).
It is our code, installed by scripts/install-pulumi only beside a CLI it built; a Pulumi installed by
the user keeps its own host.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

# A program that printed its own error and exited with this code wants no extra error from us.
USER_ACTIONABLE_EXIT = 32
# Pulumi's program executor, copied beside the CLI by scripts/install-pulumi.
EXECUTOR = os.environ.get("FASTPIX_PULUMI_EXECUTOR", str(Path(__file__).resolve().parent / "pulumi-language-python-exec"))


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str, version: str) -> None:
        self.engine_address = engine_address
        self.version = version

    def Handshake(self, request: Any, context: Any) -> Any:
        if request.engine_address:
            self.engine_address = request.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request: Any, context: Any) -> Any:
        return plugin_pb2.PluginInfo(version=self.version)

    def GetRequiredPlugins(self, request: Any, context: Any) -> Any:
        # Dynamic providers ship with the engine build; nothing to download.
        return language_pb2.GetRequiredPluginsResponse(plugins=[])

    def GetRequiredPackages(self, request: Any, context: Any) -> Any:
        return language_pb2.GetRequiredPackagesResponse(packages=[])

    def InstallDependencies(self, request: Any, context: Any) -> Any:
        # `make setup` owns the virtualenv; report success with nothing to stream.
        return iter(())

    def Run(self, request: Any, context: Any) -> Any:
        root = request.info.root_directory or request.pwd
        python = self._python(request, root)
        program = request.program or request.info.program_directory or "."
        args = [
            python, "-u", EXECUTOR,
            "--monitor", request.monitor_address, "--engine", self.engine_address,
            "--project", request.project, "--stack", request.stack, "--pwd", request.pwd,
            "--dry_run", "true" if request.dryRun else "false", "--parallel", str(request.parallel),
            "--organization", request.organization, "--root_directory", root,
            program, *request.args,
        ]
        env = {
            **os.environ,
            "PULUMI_CONFIG": json.dumps(dict(request.config)),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(list(request.configSecretKeys)),
            "PYTHONUNBUFFERED": "1",
        }
        completed = subprocess.run(args, env=env, cwd=request.pwd or None)
        if completed.returncode == 0:
            return language_pb2.RunResponse()
        if completed.returncode == USER_ACTIONABLE_EXIT:
            return language_pb2.RunResponse(bail=True)
        return language_pb2.RunResponse(error=f"Program exited with non-zero exit code: {completed.returncode}")

    @staticmethod
    def _python(request: Any, root: str) -> str:
        options = request.info.options
        virtualenv = options.fields["virtualenv"].string_value if "virtualenv" in options.fields else ""
        if virtualenv:
            candidate = Path(root, virtualenv, "bin", "python")
            if candidate.exists():
                return str(candidate)
        return os.environ.get("PULUMI_PYTHON_CMD") or sys.executable


def main(argv: list[str]) -> int:
    engine_address = next((arg for arg in reversed(argv) if not arg.startswith("-")), "")
    version = os.environ.get("FASTPIX_PULUMI_VERSION", "3.260.0")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageHost(engine_address, version), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    # The engine ends its plugins with SIGINT (then SIGTERM): both mean "done", not an error.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: server.stop(0))
    server.wait_for_termination()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
