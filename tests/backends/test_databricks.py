"""`tracking-uri: databricks` against a stand-in: an OSS `mlflow server` reached through DATABRICKS_HOST and
DATABRICKS_TOKEN, as MLflow's Databricks client reaches a workspace (the same REST paths under /api/2.0/mlflow).

What the stand-in can show: best-run over workspace-path experiments, and promotion in the workspace model
registry (MLFLOW_REGISTRY_URI=databricks) by stage. What it cannot: Unity Catalog, whose endpoints the OSS
server does not have, so those answer 404, which must be an error that says so (never "no model yet").
"""

from __future__ import annotations

import sys

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
    assert f"::add-mask::{DATABRICKS_TOKEN}" in step.stdout  # masked on the runner, and shown nowhere else
    assert DATABRICKS_TOKEN not in step.log.replace(f"::add-mask::{DATABRICKS_TOKEN}", "") + step.summary


def test_workspace_registry_promotes_by_stage_and_skips_the_alias(tmp_path, workspace, experiment, monkeypatch):
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "databricks")  # honoured like an input
    env = {**workspace.env, "MLFLOW_REGISTRY_URI": "databricks"}
    model_name = unique("Model")
    first_run = log_run(workspace.host, experiment, {"accuracy": 0.90})
    args = flags("ci", experiment, model_name=model_name, stage="Production", min_improvement="0")
    first = run_step(tmp_path, "databricks", args, extra_env=env)
    assert first.code == 0, first.log[-3000:]
    assert (first.outputs["registered"], first.outputs["model_version"]) == ("true", "1")
    assert "has no aliases" in first.log and "alias production was not set" in first.log

    better = log_run(workspace.host, experiment, {"accuracy": 0.95})
    second = run_step(tmp_path, "databricks", args, extra_env=env)
    assert second.code == 0 and second.outputs["model_version"] == "2", second.log[-3000:]

    stand_in = MlflowClient(workspace.host)  # the server's own view, over plain HTTP
    versions = {v.version: v for v in stand_in.search_model_versions(f"name='{model_name}'")}
    assert (versions["1"].run_id, versions["1"].current_stage) == (first_run, "Archived")
    assert (versions["2"].run_id, versions["2"].current_stage) == (better, "Production")
    assert stand_in.get_registered_model(model_name).aliases == {}
    assert DATABRICKS_TOKEN not in (first.log + second.log).replace(f"::add-mask::{DATABRICKS_TOKEN}", "")


def test_unity_catalog_wants_three_level_names_before_anything_is_written(tmp_path, workspace, experiment):
    log_run(workspace.host, experiment, {"accuracy": 0.9})
    (tmp_path / "train.py").write_text("open('trained', 'w').close()\n")
    args = flags("ci", experiment, model_name="News Model", alias="champion", register="always")
    args += ["--train-command", f'"{sys.executable}" train.py']
    step = run_step(tmp_path, "databricks", args, extra_env={**workspace.env, "GITHUB_WORKSPACE": str(tmp_path)})
    assert step.code == 2, step.log[-3000:]
    assert not (tmp_path / "trained").exists()  # refused before training
    assert len(step.errors) == 1 and "model-name" in step.errors[0] and "catalog.schema.model" in step.errors[0]
    assert "Traceback" not in step.log
    assert "News Model" not in {m.name for m in MlflowClient(workspace.host).search_registered_models()}


def test_a_registry_endpoint_the_server_lacks_is_an_error_not_no_model_yet(tmp_path, workspace, experiment):
    """The stand-in has no Unity Catalog API: its 404s mean "no such endpoint", not "no such model"."""
    log_run(workspace.host, experiment, {"accuracy": 0.9})
    args = flags("ci", experiment, model_name="main.ml.news", alias="champion", min_improvement="0")
    step = run_step(tmp_path, "databricks", args, extra_env=workspace.env)
    assert step.code == 3, step.log[-3000:]
    assert len(step.errors) == 1 and "Unity Catalog" in step.errors[0] and "endpoint" in step.errors[0]
    assert "registry-uri" in step.errors[0]  # the way out: the workspace registry
    assert "Traceback" not in step.log and step.outputs.get("registered", "") != "true"
