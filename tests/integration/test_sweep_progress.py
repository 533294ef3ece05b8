"""A sweep through the CLI against a real `mlflow server`: one progress line per candidate as it finishes
(its metrics, its time, its run), the execution it picked, and a failed candidate leaving no finished run."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from mlflow import MlflowClient

from mlflow_ci.train.sweep import execution
from tests.helpers.mlflow_runs import unique
from tests.helpers.steps import flags, run_step

PROGRESS = re.compile(
    r"^trained \[(\d)/(\d)\] (\S+): accuracy [0-9.]+, f1 [0-9.]+ \(\d+\.\d s\) -> run ([0-9a-f]{32})$"
)

# The forest is far slower than the tree after it: in a pool, the tree finishes (and is reported) first.
SLOW_THEN_FAST = """\
dataset: {sklearn: iris}
metrics: [accuracy, f1]
split: {test_size: 0.3}
seed: 7
candidates:
  - name: logreg
    estimator: sklearn.linear_model.LogisticRegression
    params: {max_iter: 300}
  - name: forest
    estimator: sklearn.ensemble.RandomForestClassifier
    params: {n_estimators: 1500}
  - name: tree
    estimator: sklearn.tree.DecisionTreeClassifier
    params: {max_depth: 3}
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


def _env(workspace: Path, **extra: str) -> dict[str, str]:
    home = os.environ.get("HOME", "/")
    return {"GITHUB_WORKSPACE": str(workspace), "PATH": os.environ["PATH"], "HOME": home, **extra}


def _progress(stdout: str) -> list[tuple[int, int, str, str]]:
    return [(int(m[1]), int(m[2]), m[3], m[4]) for line in stdout.splitlines() if (m := PROGRESS.match(line.strip()))]


def test_each_candidate_reports_as_it_finishes_from_the_pool(tmp_path, mlflow_server, workspace, monkeypatch):
    (workspace / "sweep.yml").write_text(SLOW_THEN_FAST)
    monkeypatch.setattr(execution, "POOL_PAYS_OFF", 0.0)  # iris is quick: make the pool the choice
    experiment = unique("exp")
    step = run_step(
        tmp_path,
        mlflow_server,
        flags("train", experiment, sweep_config="sweep.yml"),
        extra_env=_env(workspace, MLFLOW_CI_SWEEP_WORKERS="2"),
    )
    assert step.code == 0, step.log
    assert "mlflow-ci: training the other 2 in 2 worker processes, 1 thread(s) each" in step.stdout
    lines = _progress(step.stdout)
    assert [(done, total, name) for done, total, name, _ in lines] == [
        (1, 3, "logreg"),  # trained here first, logged while the workers train the others
        (2, 3, "tree"),
        (3, 3, "forest"),
    ]
    # The outputs keep the config's order; every reported run is there, finished, with its metrics.
    ids = step.outputs["trained_run_ids"].split(",")
    by_name = {name: run_id for _, _, name, run_id in lines}
    assert ids == [by_name["logreg"], by_name["forest"], by_name["tree"]]
    client = MlflowClient(mlflow_server)
    for run_id in ids:
        run = client.get_run(run_id)
        assert run.info.status == "FINISHED" and set(run.data.metrics) == {"accuracy", "f1"}


def test_one_worker_means_every_candidate_trains_here(tmp_path, mlflow_server, workspace):
    (workspace / "sweep.yml").write_text(SLOW_THEN_FAST.replace("n_estimators: 1500", "n_estimators: 20"))
    step = run_step(
        tmp_path,
        mlflow_server,
        flags("train", unique("exp"), sweep_config="sweep.yml"),
        extra_env=_env(workspace, MLFLOW_CI_SWEEP_WORKERS="1"),
    )
    assert step.code == 0, step.log
    assert "mlflow-ci: MLFLOW_CI_SWEEP_WORKERS=1: training the other 2 in this process" in step.stdout
    assert [name for _, _, name, _ in _progress(step.stdout)] == ["logreg", "forest", "tree"]


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_worker_count_is_an_input_error(tmp_path, mlflow_server, workspace, value):
    (workspace / "sweep.yml").write_text(SLOW_THEN_FAST)
    experiment = unique("exp")
    step = run_step(
        tmp_path,
        mlflow_server,
        flags("train", experiment, sweep_config="sweep.yml"),
        extra_env=_env(workspace, MLFLOW_CI_SWEEP_WORKERS=value),
    )
    assert step.code == 2
    assert step.errors == [
        f"::error title=input MLFLOW_CI_SWEEP_WORKERS::input 'MLFLOW_CI_SWEEP_WORKERS' is '{value}', not a number "
        "of processes: use a whole number, 1 or more (1 trains every candidate in the step's own process), or "
        "unset it."
    ]
    assert "Traceback" not in step.log
    assert MlflowClient(mlflow_server).get_experiment_by_name(experiment) is None


def test_a_failed_candidate_leaves_no_finished_run(tmp_path, mlflow_server, workspace):
    # l1 with lbfgs is refused only when fitting: the first candidate is trained and logged by then.
    failing = SLOW_THEN_FAST.replace(
        "  - name: forest\n    estimator: sklearn.ensemble.RandomForestClassifier\n    params: {n_estimators: 1500}\n",
        "  - name: broken\n    estimator: sklearn.linear_model.LogisticRegression\n"
        "    params: {penalty: l1, solver: lbfgs}\n",
    )
    (workspace / "sweep.yml").write_text(failing)
    experiment = unique("exp")
    step = run_step(
        tmp_path,
        mlflow_server,
        flags("ci", experiment, model_name=unique("Iris"), sweep_config="sweep.yml"),
        extra_env=_env(workspace, MLFLOW_CI_SWEEP_WORKERS="1"),
    )
    assert step.code == 4, step.log  # training failed (errors.EXIT_CODES)
    [error] = step.errors
    assert error.startswith("::error title=sweep candidate failed::a candidate of ")
    assert "ValueError" in error and error.endswith(
        "(the 1 runs of candidates that finished are marked FAILED, so no search picks them)"
    )
    assert "Traceback" not in step.log
    client = MlflowClient(mlflow_server)
    runs = client.search_runs([client.get_experiment_by_name(experiment).experiment_id])
    assert [(r.info.run_name, r.info.status) for r in runs] == [("logreg", "FAILED")]
    assert "run_id" not in step.outputs or step.outputs["run_id"] == ""
