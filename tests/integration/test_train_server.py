"""The train step against a real `mlflow server`: a user's command and a YAML sweep, run as a workflow
step would run them, then gated and registered by the same step."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.helpers import gh
from tests.helpers.mlflow_runs import unique
from tests.helpers.steps import flags, run_step

PYTHON = shlex.quote(sys.executable)  # the user's Python: here the test venv, which has mlflow and sklearn

USER_SCRIPT = """\
import json, os
import mlflow
from sklearn.linear_model import LogisticRegression

json.dump(sorted(os.environ), open("env.json", "w"))
with mlflow.start_run():  # lands in the action's run (MLFLOW_RUN_ID)
    mlflow.log_param("C", 1.0)
    mlflow.log_metric("accuracy", 0.93)
    mlflow.sklearn.log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), name="model",
                             pip_requirements=["scikit-learn"])
with mlflow.start_run(run_name="second-model"):  # a run the script starts on its own
    mlflow.log_metric("accuracy", 0.80)
    with mlflow.start_run(run_name="nested", nested=True):
        mlflow.log_metric("accuracy", 0.70)
print("training done")
"""

SECRETS = {
    "GITHUB_TOKEN": "ghs_not-for-the-child",
    "ACTIONS_RUNTIME_TOKEN": "runtime-token",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-token",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example",
    "INPUT_GITHUB_TOKEN": "input-token",
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


def step_extra(workspace: Path) -> dict[str, str]:
    """What a runner's step environment also holds: the workspace, PATH, HOME and tokens the child must not see."""
    return {
        "GITHUB_WORKSPACE": str(workspace),
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        **SECRETS,
    }


def test_a_user_command_is_tracked_tagged_gated_and_registered(tmp_path, mlflow_server, workspace):
    (workspace / "train.py").write_text(USER_SCRIPT)
    experiment, model_name = unique("exp"), unique("Model")
    step = run_step(
        tmp_path,
        mlflow_server,
        flags(
            "ci",
            experiment,
            threshold="0.9",
            model_name=model_name,
            alias="champion",
            register="always",
            scope="workflow-run",
            train_command=f"{PYTHON} train.py",
        ),
        "pull_request",
        gh.pull_request_event(number=7),
        step_extra(workspace),
    )
    assert step.code == 0, step.stdout + step.stderr
    assert "training done" in step.stdout  # the command's output streams to the step's log
    client = MlflowClient(mlflow_server)
    trained = step.outputs["trained_run_ids"].split(",")
    assert len(trained) == 3
    best = step.outputs["run_id"]
    assert best in trained and step.outputs["model_version"] == "1" and step.outputs["passed"] == "true"
    run = client.get_run(best)
    assert run.info.status == "FINISHED" and run.data.metrics == {"accuracy": 0.93}
    for run_id in trained:
        tags = client.get_run(run_id).data.tags
        assert tags["mlflow_ci.commit"] == gh.HEAD_SHA  # the PR's head, not the merge commit
        assert tags["mlflow_ci.pr_number"] == "7" and tags["mlflow_ci.event"] == "pull_request"
        assert tags["mlflow_ci.workflow_run_id"] == "4242"
        assert tags["mlflow_ci.workflow_run_url"] == f"https://github.com/{gh.REPO}/actions/runs/4242"
        assert tags["mlflow_ci.ref"] == "refs/pull/7/merge" and tags["mlflow_ci.version"]
    names = {client.get_run(run_id).info.run_name for run_id in trained}
    assert names == {"train-command", "second-model", "nested"}
    version = client.get_model_version_by_alias(model_name, "champion")
    assert version.run_id == best and version.tags["mlflow_ci.commit"] == gh.HEAD_SHA
    seen = json.loads((workspace / "env.json").read_text())
    assert {"MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID", "PATH"} <= set(seen)
    assert not set(SECRETS) & set(seen) and not [name for name in seen if name.startswith("INPUT_")]
    assert "trained 3 runs" in step.summary and f"[train-command]({mlflow_server}/#/experiments/" in step.summary


FAILING_SCRIPT = 'import mlflow; mlflow.log_metric("accuracy", 0.99); raise SystemExit(3)'


def test_a_failing_command_fails_the_step_and_marks_the_run_failed(tmp_path, mlflow_server, workspace):
    experiment, model_name = unique("exp"), unique("Model")
    step = run_step(
        tmp_path,
        mlflow_server,
        flags("ci", experiment, model_name=model_name, train_command=f"echo starting; {PYTHON} -c '{FAILING_SCRIPT}'"),
        extra_env=step_extra(workspace),
    )
    assert step.code == 4  # training failed
    assert "starting" in step.stdout
    assert len(step.errors) == 1 and step.errors[0].startswith(
        "::error title=train-command failed::train-command exited with code 3"
    )
    assert "Traceback" not in step.stdout.split("starting", 1)[0]
    client = MlflowClient(mlflow_server)
    runs = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    assert [r.info.status for r in runs] == ["FAILED"]
    assert step.outputs.get("run_id", "") == ""
    assert client.search_registered_models(f"name='{model_name}'") == []


SWEEP = """\
dataset: {sklearn: iris}
metrics: [accuracy, f1]
split: {test_size: 0.3}
seed: 7
candidates:
  - name: logreg
    estimator: sklearn.linear_model.LogisticRegression
    params: {max_iter: 300}
    grid: {C: [0.01, 10.0]}
  - name: tree
    estimator: sklearn.tree.DecisionTreeClassifier
    params: {max_depth: 3}
"""


def test_a_sweep_logs_one_run_per_candidate_and_the_best_is_registered(tmp_path, mlflow_server, workspace):
    (workspace / "sweep.yml").write_text(SWEEP)
    experiment, model_name = unique("exp"), unique("Iris")
    step = run_step(
        tmp_path,
        mlflow_server,
        flags("ci", experiment, model_name=model_name, stage="Production", scope="commit", sweep_config="sweep.yml"),
        extra_env=step_extra(workspace),
    )
    assert step.code == 0, step.stdout + step.stderr
    client = MlflowClient(mlflow_server)
    trained = [client.get_run(run_id) for run_id in step.outputs["trained_run_ids"].split(",")]
    assert [r.info.run_name for r in trained] == ["logreg[C=0.01]", "logreg[C=10.0]", "tree"]
    best = max(trained, key=lambda r: (r.data.metrics["accuracy"], r.info.start_time))
    assert step.outputs["run_id"] == best.info.run_id and step.outputs["model_version"] == "1"
    for run in trained:
        assert set(run.data.metrics) == {"accuracy", "f1"} and run.info.status == "FINISHED"
        assert run.data.params["seed"] == "7" and run.data.params["test_size"] == "0.3"
        assert run.data.tags["mlflow_ci.commit"] == gh.HEAD_SHA and run.data.tags["mlflow_ci.candidate"]
        assert len(run.outputs.model_outputs) == 1  # an MLflow 3 logged model
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert artifacts == {"confusion_matrix.png", "metrics.json"}
    assert trained[0].data.params["C"] == "0.01" and trained[2].data.params["max_depth"] == "3"
    model = client.get_logged_model(trained[0].outputs.model_outputs[0].model_id)
    assert {m.key for m in model.metrics} == {"accuracy", "f1"}
    assert "trained 3 runs" in step.summary and "logreg[C=0.01]" in step.summary


def test_a_bad_sweep_config_fails_before_anything_trains(tmp_path, mlflow_server, workspace):
    (workspace / "sweep.yml").write_text(SWEEP.replace("sklearn.tree.DecisionTreeClassifier", "sklearn.tree.Forest"))
    experiment = unique("exp")
    step = run_step(
        tmp_path,
        mlflow_server,
        flags("ci", experiment, register="never", train_command="echo this must not run", sweep_config="sweep.yml"),
        extra_env=step_extra(workspace),
    )
    assert step.code == 2
    assert step.errors == [
        "::error title=input sweep-config::input 'sweep-config' sweep.yml: candidates[1].estimator: "
        "'sklearn.tree.Forest' is not a scikit-learn estimator class: give its full class path, e.g. "
        "sklearn.linear_model.LogisticRegression."
    ]
    assert "this must not run" not in step.stdout and "Traceback" not in step.stdout + step.stderr
    assert MlflowClient(mlflow_server).get_experiment_by_name(experiment) is None
