"""Production-shaped deployments, run by `act` as a user's workflow would: PostgreSQL as the backend store, S3
(moto_server) or Azure Blob (Azurite) as the artifact store, the server proxying artifacts or the runner writing
them itself. On a push to main one job sweeps (in the action's venv), trains the user's script (in the user's
Python, logging a classic `runs:/` model), then registers the best run of the workflow run and points the
alias at it; the model then loads back from `models:/<name>@champion`."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import mlflow
import pytest
from mlflow import MlflowClient
from sklearn.datasets import load_iris

from tests.backends.conftest import DB_PASSWORD, POSTGRES_DEPLOYMENTS, Deployment
from tests.helpers.act import Consumer, init_repo, push
from tests.helpers.mlflow_runs import unique

pytestmark = [pytest.mark.workflow, pytest.mark.backends]

WORKFLOW = """\
name: train and promote
on: [push]
jobs:
  ml:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: org/mlflow-ci-action@v1
        with:
          command: train
          sweep-config: sweep.yml
          experiment-name: ${{ env.EXPERIMENT }}
      - uses: org/mlflow-ci-action@v1
        id: ml
        with:
          train-command: '"$USER_PYTHON" train.py'
          experiment-name: ${{ env.EXPERIMENT }}
          metric: accuracy
          scope: workflow-run
          model-name: ${{ env.MODEL_NAME }}
          alias: champion
      - name: Later steps read the step outputs
        env:
          OUTPUTS: ${{ toJSON(steps.ml.outputs) }}
        run: echo "$OUTPUTS" > "$RESULTS_DIR/step.json"
"""

# Two weak baselines: the user's script must beat them, so the registered model is its classic runs:/ model.
SWEEP = """\
dataset: {sklearn: iris}
metrics: [accuracy]
split: {test_size: 0.3}
seed: 7
candidates:
  - name: baseline
    estimator: sklearn.dummy.DummyClassifier
    grid: {strategy: [most_frequent, prior]}
"""

SCRIPT = """\
import tempfile
import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

x, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=500).fit(x, y)
mlflow.log_metric("accuracy", float(model.score(x, y)))
with tempfile.TemporaryDirectory() as tmp:  # a classic model directory, as older scripts log it
    mlflow.sklearn.save_model(model, f"{tmp}/model")
    mlflow.log_artifacts(f"{tmp}/model", "model")
print("user script finished")
"""


@pytest.fixture(params=POSTGRES_DEPLOYMENTS)
def deployment(request: pytest.FixtureRequest, postgres_deployments: dict[str, Deployment]) -> Deployment:
    return postgres_deployments[request.param]


@contextlib.contextmanager
def client_side(deployment: Deployment) -> Iterator[None]:
    """This process as a later job of the user's: the tracking URI and what the runner's env: holds."""
    saved = {name: os.environ.get(name) for name in deployment.runner_env}
    os.environ.update(deployment.runner_env)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(deployment.tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_sweep_and_script_trained_then_best_registered_promoted_and_loaded(
    deployment, tmp_path, act, action_copy, venv_cache
):
    root = init_repo(tmp_path / "ml-project", {"ml.yml": WORKFLOW}, {"sweep.yml": SWEEP, "train.py": SCRIPT})
    consumer = Consumer(root, act, action_copy, venv_cache, deployment.tracking_uri)
    experiment, model_name = unique("exp"), unique("Model")
    result = consumer.run(
        "push",
        push(root, "main"),
        EXPERIMENT=experiment,
        MODEL_NAME=model_name,
        USER_PYTHON=sys.executable,  # the user's Python has MLflow and the store's client
        **deployment.runner_env,
    )
    assert result.code == 0, result.log[-5000:]
    assert "user script finished" in result.log and "Traceback" not in result.log
    assert DB_PASSWORD not in result.log
    step = result.step
    assert step is not None and step["registered"] == "true" and step["model_version"] == "1", step

    client = MlflowClient(deployment.tracking_uri)
    trained = step["trained_run_ids"].split(",")
    best = client.get_run(step["run_id"])
    assert best.info.run_name == "train-command" and step["run_id"] in trained
    workflow_runs = client.search_runs(
        [step["experiment_id"]],
        filter_string=f"tags.`mlflow_ci.workflow_run_id` = '{best.data.tags['mlflow_ci.workflow_run_id']}'",
    )
    assert len(workflow_runs) == 3  # two sweep baselines and the user's run
    assert best.data.metrics["accuracy"] == max(r.data.metrics["accuracy"] for r in workflow_runs)
    champion = client.get_model_version_by_alias(model_name, "champion")
    assert (champion.version, champion.run_id, champion.status) == ("1", best.info.run_id, "READY")

    # The artifacts are in the store under the deployment's root: the user's classic model and the sweep's.
    stored = deployment.stored()
    assert any(best.info.run_id in key and key.endswith("model/MLmodel") for key in stored), stored[:20]
    assert any("/models/m-" in key and key.endswith("/MLmodel") for key in stored), stored[:20]
    if not deployment.runner_env:  # proxied: the server wrote them, the runner had no store credentials
        assert best.info.artifact_uri.startswith("mlflow-artifacts:")

    with client_side(deployment):
        model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
        predicted = model.predict(load_iris().data[:5])
    assert len(predicted) == 5 and step["passed"] == "true"
