"""Run this project's Pulumi program on a local file backend, offline: for tests, the demo and benchmarks.

    with LocalStack.create(work_dir, program=program_file("__main__.py")) as stack:
        stack.up()

Everything the engine needs comes from `engine_environment`: a private PULUMI_HOME, a file:// backend,
a passphrase, and no update checks or plugin downloads, so nothing reaches the network or Pulumi Cloud.
"""

from .cli import CliStack
from .engine import EngineToolchain, engine_environment, find_toolchain
from .stack import LocalStack, program_file

__all__ = ["CliStack", "EngineToolchain", "LocalStack", "engine_environment", "find_toolchain", "program_file"]
