"""The example workflow itself (examples/gitops/github-workflow.yml): the properties a platform team relies on.

actionlint and zizmor (in `make lint`) check it as GitHub would read it; these tests pin down the
design: least privilege per job, pinned actions, read-only previews, an environment-gated apply of
the saved plan that is never cancelled, and the scripts it calls exist.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import tomllib
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_ROOT
from tests.gitops_support import WORKFLOW

TEXT = WORKFLOW.read_text()
DOC: dict[Any, Any] = yaml.safe_load(TEXT)
JOBS: dict[str, dict[str, Any]] = DOC["jobs"]
TRIGGERS = DOC[True]  # YAML 1.1 reads the key `on` as true
WRITE_SECRETS = ("FASTPIX_TOKEN_ID", "FASTPIX_SECRET_KEY", "AWS_STATE_WRITE_ROLE_ARN")


def steps(job: str) -> list[dict[str, Any]]:
    return list(JOBS[job]["steps"])


def uses_write_credentials(job: str) -> bool:
    return any(name in yaml.safe_dump(JOBS[job]) for name in WRITE_SECRETS)


def test_nothing_is_granted_workflow_wide_and_every_job_says_what_it_needs_and_how_long_it_may_run() -> None:
    assert DOC["permissions"] == {}
    assert "secrets." not in yaml.safe_dump(DOC.get("env", {}))
    for name, job in JOBS.items():
        assert isinstance(job.get("permissions"), dict), name
        assert 0 < int(job["timeout-minutes"]) <= 60, name


def test_every_action_is_pinned_by_sha_and_no_checkout_keeps_credentials() -> None:
    uses = re.findall(r"uses:\s*(\S+)(.*)", TEXT)
    assert uses
    for reference, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", reference), reference
        assert re.search(r"# v\d", comment), f"say which version {reference} is"
    for job in JOBS.values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_secrets_only_in_jobs_of_an_environment_and_write_credentials_only_behind_a_protected_one() -> None:
    for name, job in JOBS.items():
        if "secrets." in yaml.safe_dump(job):
            assert "environment" in job, name
        if uses_write_credentials(name):
            assert not str(job["environment"]).endswith("-preview"), name
            assert job["concurrency"]["group"].startswith("fastpix-apply-"), name
            assert job["concurrency"]["cancel-in-progress"] is False, name
        elif "environment" in job:
            assert str(job["environment"]).endswith("-preview"), name
    assert {name for name in JOBS if uses_write_credentials(name)} == {"apply", "recover"}


def test_code_from_a_pull_request_runs_with_read_only_credentials_and_previews_cancel_each_other() -> None:
    plan = JOBS["plan"]
    assert "READ" in yaml.safe_dump(plan) and not uses_write_credentials("plan")
    assert "pull-requests" not in plan["permissions"] or plan["permissions"]["pull-requests"] == "read"
    assert "pull_request.number" in plan["concurrency"]["group"]
    assert "pull_request" in str(plan["concurrency"]["cancel-in-progress"])
    assert "head.repo.full_name == github.repository" in plan["if"], "no credentials for forks"
    assert JOBS["comment"]["permissions"] == {"pull-requests": "write"}
    assert "secrets." not in yaml.safe_dump(JOBS["comment"])


def test_apply_needs_the_plan_applies_the_saved_one_and_never_allows_deletions_by_default() -> None:
    apply = JOBS["apply"]
    assert apply["needs"] == "plan"
    assert apply["strategy"]["max-parallel"] == 1 and apply["strategy"]["matrix"]["stack"]
    assert "fastpix-pipeline apply" in yaml.safe_dump(apply)
    assert "FASTPIX_ALLOW_DELETIONS" not in TEXT
    assert "vars.FASTPIX_MAX_DELETES || '0'" in TEXT
    runs = "\n".join(str(step.get("run", "")) for step in apply["steps"])
    assert not re.search(r"^\s*pulumi (up|preview)", runs, re.M), "the apply goes through fastpix-pipeline (`up --plan`)"
    assert JOBS["recover"]["concurrency"]["group"] == "fastpix-apply-${{ inputs.stack }}"
    assert "--apply --unlock" in yaml.safe_dump(JOBS["recover"])


def test_no_expression_is_expanded_inside_a_shell_script() -> None:
    for job in JOBS.values():
        for step in job["steps"]:
            assert "${{" not in str(step.get("run", "")), step.get("name")


def test_every_install_is_pinned_by_the_constraints() -> None:
    installs = [str(step["run"]) for job in JOBS.values() for step in job["steps"] if "pip install" in str(step.get("run"))]
    assert installs and all("-c constraints.txt" in run for run in installs)


def test_the_triggers_cover_the_provider_the_constraints_and_the_workflow_itself() -> None:
    for event in ("pull_request", "push"):
        paths = TRIGGERS[event]["paths"]
        for path in ("media.yaml", "__main__.py", "requirements.txt", "constraints.txt", ".github/workflows/fastpix.yml"):
            assert path in paths, (event, path)
        assert TRIGGERS[event]["branches"] == ["main"]
    assert "schedule" in TRIGGERS and TRIGGERS["pull_request_review"]["types"] == ["submitted", "dismissed"]


def test_the_commands_it_calls_are_the_package_s_console_scripts() -> None:
    runs = "\n".join(str(step.get("run", "")) for job in JOBS.values() for step in job["steps"])
    called = set(re.findall(r"^\s*(fastpix-[a-z-]+) ", runs, re.M))
    assert called == {"fastpix-pipeline", "fastpix-pr-comment", "fastpix-drift-issue", "fastpix-recover"}
    scripts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    for name in called:
        module, _, function = scripts[name].partition(":")
        assert callable(getattr(importlib.import_module(module), function))


@pytest.mark.parametrize("tool", ["actionlint", "zizmor"])
def test_make_lint_checks_this_workflow(tool: str) -> None:
    dry_run = subprocess.run(["make", "-n", "lint"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    workflow = str(WORKFLOW.relative_to(PROJECT_ROOT))
    assert any(tool in line and workflow in line for line in dry_run.stdout.splitlines()), dry_run.stdout
