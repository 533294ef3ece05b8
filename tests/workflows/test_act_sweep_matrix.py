"""The shipped matrix-sweep workflow, unchanged, run by `act`: two training jobs each sweep one file of the
diabetes example inside the action's venv (with the training lock installed), an aggregation job picks
and registers the best run of the whole workflow run, and a later job receives its run_id."""

from __future__ import annotations

import re

import pytest
from mlflow import MlflowClient

from tests.conftest import ROOT
from tests.helpers.act import Consumer, init_repo, push

pytestmark = pytest.mark.workflow

WORKFLOW = ROOT / "examples" / "workflows" / "sweep-matrix.yml"
CONFIGS = ("examples/diabetes/linear.yml", "examples/diabetes/trees.yml")


def test_a_matrix_of_sweeps_then_one_job_registers_the_best_of_the_workflow_run(
    tmp_path, act, action_copy, venv_cache, mlflow_server
):
    files = {name: (ROOT / name).read_text() for name in CONFIGS}
    root = init_repo(tmp_path / "ml-project", {"sweep.yml": WORKFLOW.read_text()}, files)
    consumer = Consumer(root, act, action_copy, venv_cache, mlflow_server)
    result = consumer.run("push", push(root, "main"), secrets={"MLFLOW_TRACKING_URI": mlflow_server})
    assert result.code == 0, result.log[-4000:]
    announced = re.search(r"best run of this workflow run: ([0-9a-f]{32}) \(registered version (\d+)\)", result.log)
    assert announced, result.log[-4000:]
    run_id, version = announced.groups()

    client = MlflowClient(mlflow_server)
    best = client.get_run(run_id)
    workflow_run = best.data.tags["mlflow_ci.workflow_run_id"]
    experiment = client.get_experiment_by_name("diabetes")
    runs = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.`mlflow_ci.workflow_run_id` = '{workflow_run}'"
    )
    # linear.yml: ridge x2 alphas + lasso; trees.yml: forest + boosting. Both jobs' runs compete.
    assert len(runs) == 5
    assert {r.data.tags["mlflow_ci.sweep_config"] for r in runs} == set(CONFIGS)
    assert best.data.metrics["rmse"] == min(r.data.metrics["rmse"] for r in runs)
    assert all(r.outputs.model_outputs for r in runs)
    champion = client.get_model_version_by_alias("Diabetes Regressor", "champion")
    assert (champion.version, champion.run_id) == (version, run_id)
    # The five runs above were trained in the action's venv, so it holds the training lock; the venv is built
    # here or, when an earlier test of the session built the same locks, reused from the runner's cache.
    assert "installing requirements" in result.log or "mlflow-ci: reusing" in result.log
