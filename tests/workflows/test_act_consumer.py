"""The real action.yml in real workflows, run by `act` in host mode.

A consumer repository says `uses: org/mlflow-ci-action@v1`, which `--local-repository` maps to a clean copy
of this working tree; a real `mlflow server` on 127.0.0.1 is the tracking server.
"""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from tests.helpers.act import Consumer, init_repo, pull_request, push
from tests.helpers.mlflow_runs import log_run, unique

pytestmark = pytest.mark.workflow

CONSUMER_WORKFLOW = """\
name: ml
on: [push, pull_request]
jobs:
  ml:
    runs-on: ubuntu-latest
    outputs:
      run_id: ${{ steps.ml.outputs.run_id }}
      model_version: ${{ steps.ml.outputs.model_version }}
    steps:
      - uses: actions/checkout@v4
      - uses: org/mlflow-ci-action@v1
        id: ml
        with:
          experiment-name: ${{ env.EXPERIMENT }}
          metric: ${{ env.METRIC }}
          greater-is-better: ${{ env.GREATER_IS_BETTER }}
          threshold: ${{ env.THRESHOLD }}
          model-name: ${{ env.MODEL_NAME }}
          stage: Production
      - name: Later steps read the step outputs
        env:
          OUTPUTS: ${{ toJSON(steps.ml.outputs) }}
        run: echo "$OUTPUTS" > "$RESULTS_DIR/step.json"
  deploy:
    needs: ml
    runs-on: ubuntu-latest
    steps:
      - name: Later jobs read the job outputs
        env:
          RUN_ID: ${{ needs.ml.outputs.run_id }}
          MODEL_VERSION: ${{ needs.ml.outputs.model_version }}
        run: |
          printf '{"run_id": "%s", "model_version": "%s"}' "$RUN_ID" "$MODEL_VERSION" > "$RESULTS_DIR/job.json"
"""


@pytest.fixture
def consumer(tmp_path, act, action_copy, venv_cache, mlflow_server) -> Consumer:
    root = init_repo(tmp_path / "ml-project", {"ml.yml": CONSUMER_WORKFLOW})
    return Consumer(root, act, action_copy, venv_cache, mlflow_server)


def test_pull_request_and_feature_push_find_the_best_run_and_register_nothing(consumer: Consumer):
    experiment, model_name = unique("exp"), unique("Model")
    log_run(consumer.tracking_uri, experiment, {"accuracy": 0.81})
    best = log_run(consumer.tracking_uri, experiment, {"accuracy": 0.92})
    env = {"EXPERIMENT": experiment, "METRIC": "accuracy", "MODEL_NAME": model_name, "THRESHOLD": "0.85"}
    for event_name, event in (("pull_request", pull_request(consumer.root)), ("push", push(consumer.root, "feature"))):
        result = consumer.run(event_name, event, **env)
        assert result.code == 0, result.log[-3000:]
        assert result.step is not None and result.step["run_id"] == best and result.step["passed"] == "true"
        assert result.step["registered"] == "false"
        assert result.job == {"run_id": best, "model_version": ""}
        assert "registration runs only on pushes to main" in result.log
    assert MlflowClient(consumer.tracking_uri).search_registered_models(f"name='{model_name}'") == []


def test_push_to_main_registers_once_and_later_jobs_read_the_version(consumer: Consumer):
    experiment, model_name = unique("exp"), unique("News Classification Model")
    best = log_run(consumer.tracking_uri, experiment, {"accuracy": 0.92})
    env = {"EXPERIMENT": experiment, "METRIC": "accuracy", "MODEL_NAME": model_name, "THRESHOLD": "0.85"}
    first = consumer.run("push", push(consumer.root, "main"), **env)
    assert first.code == 0, first.log[-3000:]
    assert first.job == {"run_id": best, "model_version": "1"}
    assert first.step is not None and first.step["model_uri"] == f"models:/{model_name}/1"
    client = MlflowClient(consumer.tracking_uri)
    version = client.get_model_version_by_alias(model_name, "production")
    assert (version.version, version.run_id, version.current_stage) == ("1", best, "Production")

    again = consumer.run("push", push(consumer.root, "main"), **env)
    assert again.code == 0, again.log[-3000:]
    assert again.job == {"run_id": best, "model_version": "1"}
    assert "mlflow-ci: reusing" in again.log  # the second job on this runner did not reinstall
    assert len(client.search_model_versions(f"name='{model_name}'")) == 1


def test_threshold_above_the_best_fails_the_job_and_leaves_the_registry_alone(consumer: Consumer):
    experiment, model_name = unique("exp"), unique("Model")
    log_run(consumer.tracking_uri, experiment, {"accuracy": 0.92})
    result = consumer.run(
        "push",
        push(consumer.root, "main"),
        EXPERIMENT=experiment,
        METRIC="accuracy",
        MODEL_NAME=model_name,
        THRESHOLD="0.95",
    )
    assert result.code != 0
    assert "accuracy 0.92 misses the threshold 0.95" in result.log
    assert result.job is None  # the deploy job never ran
    assert MlflowClient(consumer.tracking_uri).search_registered_models(f"name='{model_name}'") == []


def test_a_minimised_metric(consumer: Consumer):
    experiment, model_name = unique("exp"), unique("Diabetes Regressor")
    log_run(consumer.tracking_uri, experiment, {"rmse": 61.0})
    lowest = log_run(consumer.tracking_uri, experiment, {"rmse": 54.5})
    log_run(consumer.tracking_uri, experiment, {"rmse": 70.2})
    result = consumer.run(
        "push",
        push(consumer.root, "main"),
        EXPERIMENT=experiment,
        METRIC="rmse",
        GREATER_IS_BETTER="false",
        THRESHOLD="60",
        MODEL_NAME=model_name,
    )
    assert result.code == 0, result.log[-3000:]
    assert result.job == {"run_id": lowest, "model_version": "1"}
    assert result.step is not None and result.step["metric_value"] == "54.5"
