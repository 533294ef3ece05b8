"""`tracking-uri: databricks` against a stand-in: an OSS `mlflow server` reached through DATABRICKS_HOST and
DATABRICKS_TOKEN, as MLflow's Databricks client reaches a workspace (the same REST paths under /api/2.0/mlflow).

What the stand-in can show: best-run over workspace-path experiments, and promotion in the workspace model
registry (MLFLOW_REGISTRY_URI=databricks) by stage. What it cannot: Unity Catalog, whose endpoints the OSS
server does not have, so those answer 404, which must be an error that says so (never "no model yet").
"""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from tests.backends.conftest import DATABRICKS_TOKEN
from tests.helpers.mlflow_runs import log_run, unique
from tests.helpers.steps import flags, run_step

pytestmark = pytest.mark.backends


@pytest.fixture
def workspace(databricks, monkeypatch):
    """The step's env: as a Databricks user writes it. MLflow's Databricks client reads the process's
    environment, so it is set there too."""
    for name, value in databricks.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    return databricks


@pytest.fixture
def experiment(workspace) -> str:
    return f"/Users/ci-bot@example.com/{unique('exp')}"


def test_best_run_over_a_workspace_experiment(tmp_path, workspace, experiment):
    log_run(workspace.host, experiment, {"accuracy": 0.81})
    best = log_run(workspace.host, experiment, {"accuracy": 0.88})
    step = run_step(tmp_path, "databricks", flags("best-run", experiment), extra_env=workspace.env)
    assert step.code == 0, step.log[-3000:]
    assert step.outputs["run_id"] == best and step.outputs["metric_value"] == "0.88"
    assert step.outputs["run_url"].startswith(f"{workspace.host}/")  # links point at the workspace
    assert DATABRICKS_TOKEN not in step.log + step.summary
