"""The shipped approval workflow run by `act`: a `gate` job scores the best run and production on the same
eval rows, then a `promote` job in the `production` environment registers exactly the gate job's run, even
though a better run is logged in between (by a job this test inserts between the two)."""

from __future__ import annotations

import sys

import pytest
import yaml
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from tests.conftest import ROOT
from tests.helpers.act import Consumer, init_repo, push
from tests.helpers.eval_models import log_model, register, task_rows

pytestmark = pytest.mark.workflow

WORKFLOW = ROOT / "examples" / "workflows" / "approval.yml"
EXPERIMENT, MODEL = "news-classification", "News Classification Model"  # as the example names them

INTERLOPER = """\
import os, mlflow
from sklearn.dummy import DummyClassifier
mlflow.set_experiment("news-classification")
with mlflow.start_run(run_name="interloper") as run:
    mlflow.log_metric("accuracy", 0.999)
    mlflow.sklearn.log_model(DummyClassifier().fit([[0.0] * 6, [1.0] * 6], [0, 1]), name="model",
                             serialization_format="cloudpickle", pip_requirements=["scikit-learn"])
open(os.path.join(os.environ["RESULTS_DIR"], "interloper.txt"), "w").write(run.info.run_id)
"""


def with_interloper(text: str) -> str:
    """The example, plus a job between gate and promote that logs a better run (what another workflow might do).
    Edited as text: a YAML round trip would turn the `on:` key into `true`."""
    job = (
        "  interloper:\n"
        "    needs: gate\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n"
        "      - env:\n"
        "          MLFLOW_TRACKING_URI: ${{ secrets.MLFLOW_TRACKING_URI }}\n"
        "        run: '\"$INTERLOPER_PYTHON\" interloper.py'\n\n"
    )
    promote = "  promote:\n    needs: gate\n"
    assert text.count(promote) == 1
    edited = text.replace(promote, job + "  promote:\n    needs: [gate, interloper]\n")
    assert yaml.safe_load(edited)["jobs"]["promote"]["needs"] == ["gate", "interloper"]
    return edited


def test_promote_registers_exactly_the_gated_run(tmp_path, act, action_copy, venv_cache, mlflow_server):
    client = MlflowClient(mlflow_server)
    champion = log_model(
        mlflow_server, "news-older", DecisionTreeClassifier(max_depth=1), task_rows(800, 2, 0.3), {"accuracy": 0.83}
    )
    register(mlflow_server, MODEL, champion)
    gated = log_model(mlflow_server, EXPERIMENT, LogisticRegression(), task_rows(1500, 1), {"accuracy": 0.9})
    holdout = task_rows(400, 3).to_csv(index=False)
    files = {"data/holdout.csv": holdout, "interloper.py": INTERLOPER}
    root = init_repo(tmp_path / "ml-project", {"approval.yml": with_interloper(WORKFLOW.read_text())}, files)
    consumer = Consumer(root, act, action_copy, venv_cache, mlflow_server)

    result = consumer.run(
        "push", push(root, "main"), secrets={"MLFLOW_TRACKING_URI": mlflow_server}, INTERLOPER_PYTHON=sys.executable
    )

    assert result.code == 0, result.log[-5000:]
    interloper = (root / "results" / "interloper.txt").read_text().strip()
    assert client.get_run(interloper).data.metrics["accuracy"] > client.get_run(gated.run_id).data.metrics["accuracy"]
    production = client.get_model_version_by_alias(MODEL, "production")
    assert (production.version, production.run_id) == ("2", gated.run_id)
    assert production.tags["mlflow_ci.decision"] == "promoted"
    assert production.tags["mlflow_ci.decision.champion_version"] == "1"
    assert not client.search_model_versions(f"run_id='{interloper}'")
    # Both jobs scored the two models on the same rows; the gate job registered nothing.
    assert result.log.count("both scored on data/holdout.csv") >= 2
