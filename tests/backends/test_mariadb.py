"""A MySQL-family backend store (MariaDB, through `mysql+pymysql://`) runs the core path once: the user's
command trains, the best run passes the gate, is registered and gets the alias; a better run replaces it;
a bar no run reaches fails the gate and leaves the alias where it was."""

from __future__ import annotations

import sys

import pytest
from mlflow import MlflowClient

from tests.backends.conftest import DB_PASSWORD
from tests.helpers.mlflow_runs import log_run, unique
from tests.helpers.steps import flags, run_step

pytestmark = pytest.mark.backends

SCRIPT = """\
import mlflow
from sklearn.linear_model import LogisticRegression

mlflow.log_metric("accuracy", 0.93)
mlflow.sklearn.log_model(LogisticRegression().fit([[0.0], [1.0]], [0, 1]), name="model",
                         pip_requirements=["scikit-learn"])
"""


def test_train_gate_register_and_promote_on_mariadb(tmp_path, mariadb_server):
    experiment, model_name = unique("exp"), unique("Model")
    (tmp_path / "train.py").write_text(SCRIPT)
    args = flags("ci", experiment, model_name=model_name, alias="champion", threshold="0.9", min_improvement="0")
    first = run_step(
        tmp_path,
        mariadb_server,
        [*args, "--train-command", f'"{sys.executable}" "{tmp_path / "train.py"}"'],
        extra_env={"GITHUB_WORKSPACE": str(tmp_path)},
    )
    assert first.code == 0, first.log[-3000:]
    assert first.outputs["registered"] == "true" and first.outputs["model_version"] == "1"
    client = MlflowClient(mariadb_server)
    champion = client.get_model_version_by_alias(model_name, "champion")
    assert (champion.run_id, champion.status) == (first.outputs["run_id"], "READY")
    assert first.outputs["trained_run_ids"] == first.outputs["run_id"]

    log_run(mariadb_server, experiment, {"accuracy": 0.95})  # better than the champion: becomes version 2
    second = run_step(tmp_path, mariadb_server, args)
    assert second.code == 0 and second.outputs["model_version"] == "2", second.log[-3000:]
    assert second.outputs["previous_version"] == "1"

    too_high = flags("ci", experiment, model_name=model_name, alias="champion", threshold="0.99")
    third = run_step(tmp_path, mariadb_server, too_high)
    assert third.code == 1 and third.outputs["registered"] == "false", third.log[-3000:]
    assert client.get_model_version_by_alias(model_name, "champion").version == "2"
    assert DB_PASSWORD not in first.log + second.log + third.log
