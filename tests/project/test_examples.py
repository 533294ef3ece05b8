"""The example workflows: only inputs and outputs that exist, and the least permissions each feature needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mlflow_ci import inputs as params

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
ACTION = "org/mlflow-ci-action@v1"
CHECKOUT_NEEDS = {"contents": "read"}
COMMENT_NEEDS = {"pull-requests": "write"}
LOCK_COMMIT_NEEDS = {"contents": "write"}  # dvc-commit-lock pushes dvc.lock


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as true
    return workflow


def action_steps(job: dict) -> list[dict]:
    return [step for step in job["steps"] if step.get("uses") == ACTION]


def comments(workflow: dict, step: dict) -> bool:
    """Whether the step may write a PR comment: comment is not false, the command reports (`train` only
    trains) and a pull request can trigger it."""
    triggers = workflow["on"] if isinstance(workflow["on"], dict) else {name: None for name in workflow["on"]}
    inputs = step.get("with", {})
    return (
        inputs.get("comment", "auto") != "false"
        and inputs.get("command", "ci") != "train"
        and bool({"pull_request", "pull_request_target"} & set(triggers))
    )


def test_there_are_examples():
    assert {p.name for p in EXAMPLES} >= {"pull-request-report.yml", "register-on-main.yml", "report-only.yml"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_use_only_real_inputs_and_outputs(path):
    workflow = load(path)
    text = path.read_text(encoding="utf-8")
    for job in workflow["jobs"].values():
        for step in action_steps(job):
            assert set(step.get("with", {})) <= set(params.PARAMS_BY_NAME), step["with"]
            for name, value in step.get("with", {}).items():
                param = params.PARAMS_BY_NAME[name]
                if param.choices:
                    assert str(value) in param.choices, (name, value)
    outputs = {o.name for o in params.OUTPUTS}
    for name in re.findall(r"steps\.ml\.outputs\.(\w+)", text):
        assert name in outputs, name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_grant_the_least_permissions(path):
    workflow = load(path)
    for job_name, job in workflow["jobs"].items():
        granted = job.get("permissions", workflow.get("permissions"))
        assert isinstance(granted, dict), f"{path.name}:{job_name} must say its permissions"
        needed: dict[str, str] = {}
        if any(str(step.get("uses", "")).startswith("actions/checkout@") for step in job.get("steps", [])):
            needed |= CHECKOUT_NEEDS
        if any(comments(workflow, step) for step in action_steps(job)):
            needed |= COMMENT_NEEDS
        if any(
            str(step.get("with", {}).get("dvc-commit-lock", "false")).lower() == "true" for step in action_steps(job)
        ):
            needed |= LOCK_COMMIT_NEEDS
        assert granted == needed, f"{path.name}:{job_name}"
