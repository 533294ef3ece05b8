"""What the user's training command sees, and the tags every trained run gets."""

from __future__ import annotations

import json
from pathlib import Path

from mlflow_ci.errors import TrainFailed
from mlflow_ci.github.context import load_context
from mlflow_ci.tracking.tags import run_tags
from mlflow_ci.train import command as train
from tests.helpers import gh

OWN_SOURCES = str(Path(train.__file__).resolve().parent.parent.parent)


def test_the_child_gets_mlflow_settings_and_credentials_but_no_tokens_or_inputs():
    environ = {
        "PATH": "/usr/bin",
        "GITHUB_TOKEN": "ghs_x",
        "GH_TOKEN": "ghp_x",
        "ACTIONS_RUNTIME_TOKEN": "rt",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://oidc",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc",
        "INPUT_TRACKING_URI": "https://u:pw@mlflow",
        "MLFLOW_TRACKING_USERNAME": "bot",
        "MLFLOW_TRACKING_PASSWORD": "needed-to-log",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "8",  # the action's own fail-fast default
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "9",  # the user's own setting
        "PYTHONPATH": f"{OWN_SOURCES}:/user/lib",
        "GITHUB_SHA": "abc",
    }
    env = train.child_environment(environ, "http://mlflow", "exp", "run-1", {"mlflow_ci.commit": "abc"})
    assert env["MLFLOW_TRACKING_URI"] == "http://mlflow" and env["MLFLOW_EXPERIMENT_NAME"] == "exp"
    assert env["MLFLOW_RUN_ID"] == "run-1" and json.loads(env["MLFLOW_RUN_CONTEXT"]) == {"mlflow_ci.commit": "abc"}
    assert env["MLFLOW_TRACKING_PASSWORD"] == "needed-to-log" and env["GITHUB_SHA"] == "abc"
    assert env["PYTHONPATH"] == "/user/lib" and env["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "9"
    for name in (
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "INPUT_TRACKING_URI",
        "MLFLOW_HTTP_REQUEST_TIMEOUT",
    ):
        assert name not in env, name


def test_run_tags_name_the_prs_head_commit_and_the_workflow_run(tmp_path):
    step = gh.step_env(tmp_path, "pull_request", gh.pull_request_event(number=12))
    tags = run_tags(load_context({**step.environ, "GITHUB_ACTOR": "octocat"}))
    assert tags["mlflow_ci.commit"] == gh.HEAD_SHA != gh.MERGE_SHA
    assert tags["mlflow_ci.pr_number"] == "12" and tags["mlflow_ci.ref"] == "refs/pull/12/merge"
    assert tags["mlflow_ci.event"] == "pull_request" and tags["mlflow_ci.actor"] == "octocat"
    assert tags["mlflow_ci.workflow_run_id"] == "4242"
    assert tags["mlflow_ci.workflow_run_url"] == f"https://github.com/{gh.REPO}/actions/runs/4242"
    assert tags["mlflow_ci.version"]
    assert "mlflow_ci.pr_number" not in run_tags(load_context({}))


def test_relative_local_stores_become_absolute_for_the_child(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert train.absolute_tracking_uri("sqlite:///mlflow.db") == f"sqlite:///{tmp_path}/mlflow.db"
    assert train.absolute_tracking_uri("sqlite:////abs/m.db") == "sqlite:////abs/m.db"
    assert train.absolute_tracking_uri("mlruns") == str(tmp_path / "mlruns")
    assert train.absolute_tracking_uri("http://host:5000") == "http://host:5000"


def test_a_missing_workspace_is_a_train_failure_and_the_run_is_failed(tmp_path):
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    try:
        train.run_command(
            client,
            "true",
            tracking_uri=f"sqlite:///{tmp_path}/mlflow.db",
            experiment_name="exp",
            tags={},
            environ={},
            workspace=tmp_path / "missing",
            write=lambda text: None,
        )
    except TrainFailed as exc:
        assert "could not start in" in str(exc) and "check the workspace" in str(exc)
    else:
        raise AssertionError("expected TrainFailed")
    [run] = client.search_runs([client.get_experiment_by_name("exp").experiment_id])
    assert run.info.status == "FAILED"
