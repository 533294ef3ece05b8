"""The image reaches artifact stores that clients write to directly: its venv carries the store clients
(requirements/runtime.in), and the image has no pip to add them later."""

from __future__ import annotations

import pytest

from tests.backends.conftest import BUCKET, s3  # noqa: F401 - the moto_server fixture
from tests.helpers.docker import BuiltImage, run_container
from tests.helpers.mlflow_runs import log_run, unique

pytestmark = [pytest.mark.docker, pytest.mark.backends]

PYTHON = "/opt/mlflow-ci/bin/python"


def test_the_store_clients_import_in_the_image(image: BuiltImage):
    modules = "boto3, azure.storage.blob, azure.identity, google.cloud.storage"
    done = run_container(image.tag, ["-I", "-c", f"import {modules}"], entrypoint=PYTHON)
    assert done.returncode == 0, done.stderr[-2000:]


def test_best_run_lists_a_classic_model_in_a_direct_s3_store(image: BuiltImage, s3, mlflow_server, monkeypatch):  # noqa: F811
    """Finding a classic `runs:/` model lists the run's artifacts: with a direct store, from inside the image."""
    from mlflow import MlflowClient

    for name, value in s3.env.items():
        monkeypatch.setenv(name, value)
    experiment = unique("exp")
    MlflowClient(mlflow_server).create_experiment(experiment, artifact_location=f"s3://{BUCKET}/{experiment}")
    run_id = log_run(mlflow_server, experiment, {"accuracy": 0.9}, model="classic")
    assert any(run_id in key for key in s3.names(experiment))  # the client wrote to the bucket itself

    args = ["best-run", "--tracking-uri", mlflow_server, "--experiment-name", experiment, "--metric", "accuracy"]
    done = run_container(image.tag, [*args, "--json"], env=s3.env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f'"model_uri": "runs:/{run_id}/model"' in done.stdout
