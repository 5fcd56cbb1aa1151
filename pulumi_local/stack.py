"""A throw-away or long-lived stack on a file:// backend, driven through Pulumi's Automation API.

The program runs inline (in this process) because Pulumi's Python language host is not among the Go
modules this machine can reach; the engine, the state backend and the dynamic provider plugin are the
real ones. `program_file` turns the project's `__main__.py` into such an inline program, so the same
file serves `pulumi up` on a machine with a full Pulumi install.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from .engine import EngineToolchain, engine_environment, find_toolchain

Program = Callable[[], None]


def program_file(path: str | Path) -> Program:
    """An inline program that runs a Pulumi program file as `pulumi up` would."""
    path = Path(path).resolve()

    def run() -> None:
        runpy.run_path(str(path), run_name="__main__")

    return run


class LocalStack:
    """One stack of one project, its state in `work_dir/state`, its engine home in `work_dir/home`."""

    def __init__(self, stack: auto.Stack, work_dir: Path, env: dict[str, str]) -> None:
        self.stack = stack
        self.work_dir = work_dir
        self.env = env

    @classmethod
    def create(
        cls,
        work_dir: str | Path,
        *,
        program: Program,
        project_name: str = "fastpix-media",
        stack_name: str = "dev",
        env: dict[str, str] | None = None,
        config: dict[str, str] | None = None,
        secrets: dict[str, str] | None = None,
        toolchain: EngineToolchain | None = None,
    ) -> LocalStack:
        work_dir = Path(work_dir).resolve()
        (work_dir / "state").mkdir(parents=True, exist_ok=True)
        (work_dir / "home").mkdir(parents=True, exist_ok=True)
        toolchain = toolchain or find_toolchain()
        environment = engine_environment(work_dir / "home", toolchain, env)
        settings = auto.ProjectSettings(
            name=project_name,
            runtime="python",
            backend=auto.ProjectBackend(url=(work_dir / "state").as_uri()),
        )
        options = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_home=str(work_dir / "home"),
            env_vars=environment,
            project_settings=settings,
            pulumi_command=auto.PulumiCommand(root=str(toolchain.bin_dir.parent), skip_version_check=True),
        )
        stack = auto.create_or_select_stack(stack_name, project_name, program, opts=options)
        local = cls(stack, work_dir, environment)
        for key, value in (config or {}).items():
            local.set_config(key, value)
        for key, value in (secrets or {}).items():
            local.set_config(key, value, secret=True)
        return local

    def set_program(self, program: Program) -> None:
        self.stack.workspace.program = program

    def set_env(self, name: str, value: str) -> None:
        """Change a variable of the engine's environment (and so of the provider processes it starts)."""
        self.env[name] = value
        workspace = self.stack.workspace
        assert isinstance(workspace, auto.LocalWorkspace)
        workspace.env_vars = {**workspace.env_vars, name: value}

    def set_config(self, key: str, value: str, *, secret: bool = False) -> None:
        self.stack.set_config(key, auto.ConfigValue(value=value, secret=secret))

    def up(self, **kwargs: Any) -> auto.UpResult:
        return self.stack.up(**kwargs)

    def preview(self, **kwargs: Any) -> auto.PreviewResult:
        return self.stack.preview(**kwargs)

    def refresh(self, **kwargs: Any) -> auto.RefreshResult:
        return self.stack.refresh(**kwargs)

    def destroy(self, **kwargs: Any) -> auto.DestroyResult:
        return self.stack.destroy(**kwargs)

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.stack.outputs().items()}

    def export(self) -> dict[str, Any]:
        """The stack's deployment (its state) as the engine exports it."""
        return dict(self.stack.export_stack().deployment or {})

    def resources(self, type_suffix: str = "") -> list[dict[str, Any]]:
        return [r for r in self.export().get("resources", []) if str(r.get("type", "")).endswith(type_suffix)]

    def remove(self) -> None:
        self.stack.workspace.remove_stack(self.stack.name, force=True)
