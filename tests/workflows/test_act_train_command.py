"""`train-command` through the real action.yml, run by `act` on a pull request: the user's script trains in
the user's Python under the action's run, the run is tagged with the PR's head commit, and the script
never sees the GitHub token the job holds."""

from __future__ import annotations

import json
import sys

import pytest
from mlflow import MlflowClient

from tests.helpers.act import Consumer, init_repo, pull_request
from tests.helpers.mlflow_runs import unique

pytestmark = pytest.mark.workflow

WORKFLOW = """\
name: train
on: [pull_request]
jobs:
  train:
    runs-on: ubuntu-latest
    env:
      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
    steps:
      - uses: actions/checkout@v4
      - name: A plain step sees the token
        run: test -n "$GITHUB_TOKEN" && touch "$RESULTS_DIR/token-in-job"
      - uses: org/mlflow-ci-action@v1
        id: ml
        with:
          train-command: '"$USER_PYTHON" train.py'
          experiment-name: ${{ env.EXPERIMENT }}
          metric: accuracy
          threshold: "0.9"
          scope: commit
          model-name: ${{ env.MODEL_NAME }}
      - name: Later steps read the step outputs
        env:
          OUTPUTS: ${{ toJSON(steps.ml.outputs) }}
        run: echo "$OUTPUTS" > "$RESULTS_DIR/step.json"
"""

SCRIPT = """\
import json, os
import mlflow
from sklearn.linear_model import LogisticRegression

json.dump(sorted(os.environ), open(os.path.join(os.environ["RESULTS_DIR"], "child-env.json"), "w"))
mlflow.log_metric("accuracy", 0.95)  # no start_run: the fluent API picks up MLFLOW_RUN_ID
mlflow.sklearn.log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), name="model",
                         pip_requirements=["scikit-learn"])
print("user script finished")
"""

PR_HEAD = "abcdef0123456789abcdef0123456789abcdef01"  # the PR's head, unlike the commit act checks out


def test_a_pr_trains_with_the_users_command_and_no_token(tmp_path, act, action_copy, venv_cache, mlflow_server):
    root = init_repo(tmp_path / "ml-project", {"train.yml": WORKFLOW}, {"train.py": SCRIPT})
    consumer = Consumer(root, act, action_copy, venv_cache, mlflow_server)
    event = pull_request(root)
    event["pull_request"]["head"]["sha"] = PR_HEAD
    experiment, model_name = unique("exp"), unique("Model")
    result = consumer.run(
        "pull_request",
        event,
        secrets={"GITHUB_TOKEN": "ghs_fake-token-for-the-test"},
        EXPERIMENT=experiment,
        MODEL_NAME=model_name,
        USER_PYTHON=sys.executable,  # the user's Python: the test venv, with mlflow and scikit-learn
    )
    assert result.code == 0, result.log[-4000:]
    assert "user script finished" in result.log and "ghs_fake-token-for-the-test" not in result.log
    assert result.step is not None and result.step["passed"] == "true" and result.step["registered"] == "false"
    client = MlflowClient(mlflow_server)
    run = client.get_run(result.step["run_id"])
    assert result.step["trained_run_ids"] == run.info.run_id
    assert run.data.metrics == {"accuracy": 0.95} and run.info.run_name == "train-command"
    assert run.data.tags["mlflow_ci.commit"] == PR_HEAD and run.data.tags["mlflow_ci.pr_number"] == "42"
    results = root / "results"
    assert (results / "token-in-job").exists()
    seen = json.loads((results / "child-env.json").read_text())
    assert "GITHUB_TOKEN" not in seen and not [name for name in seen if name.startswith("INPUT_")]
    assert {"MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_TRACKING_URI"} <= set(seen)
    assert client.search_registered_models(f"name='{model_name}'") == []
