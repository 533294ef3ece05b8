"""A direct artifact store the runner cannot use: one error naming the store and the fix, exit 3, no
traceback, no credential in the output. `python -m mlflow_ci train` (a fresh process, as a step is) trains a
sweep into an experiment whose artifacts are in the real stand-ins (moto S3, Azurite, the GCS emulator),
with the runner's credentials missing or wrong or the bucket absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.backends.conftest import AZURITE_ACCOUNT, AZURITE_KEY, CONTAINER, GCS, S3, AzureBlob
from tests.helpers.cli import Answer, assert_contract, clean_environ, run_process
from tests.helpers.mlflow_runs import unique

pytestmark = pytest.mark.backends

SWEEP = """\
dataset: {sklearn: iris}
metrics: [accuracy]
seed: 7
candidates:
  - estimator: sklearn.dummy.DummyClassifier
"""
# No credentials from anywhere but the variables each test sets (no profile, no instance metadata).
AWS_NOWHERE = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def train_into(tmp_path: Path, artifact_location: str, store_env: dict[str, str]) -> Answer:
    """The train command on an embedded store whose experiment keeps its artifacts at `artifact_location`."""
    (tmp_path / "sweep.yml").write_text(SWEEP)
    tracking_uri = f"sqlite:///{tmp_path}/mlflow.db"
    experiment = unique("exp")
    MlflowClient(tracking_uri).create_experiment(experiment, artifact_location=artifact_location)
    environ = {k: v for k, v in clean_environ(tmp_path).items() if k not in AWS_NOWHERE}
    environ |= {"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": str(tmp_path / "none"), **store_env}
    environ["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    argv = ["train", "--tracking-uri", tracking_uri, "--experiment-name", experiment, "--sweep-config", "sweep.yml"]
    return run_process(argv, environ, cwd=tmp_path)


def assert_one_store_error(answer: Answer, scheme: str, says: str, *secrets: str) -> None:
    assert_contract(answer, {3}, secrets)
    assert answer.error.startswith(f"error: the {scheme}:// artifact store"), answer.error
    assert says in answer.error, answer.error


def test_s3_without_credentials_names_the_variables(tmp_path, s3: S3):
    step = train_into(tmp_path, "s3://mlflow/no-credentials", {"MLFLOW_S3_ENDPOINT_URL": s3.endpoint})
    assert_one_store_error(step, "s3", "needs credentials this environment lacks")
    assert "AWS_ACCESS_KEY_ID" in step.error


def test_s3_bucket_that_does_not_exist(tmp_path, s3: S3):
    step = train_into(tmp_path, "s3://no-such-bucket/mlflow", s3.env)
    assert_one_store_error(step, "s3", "answered HTTP 404", s3.env["AWS_SECRET_ACCESS_KEY"])


def test_azure_with_a_wrong_key_is_refused(tmp_path, azure_blob: AzureBlob):
    wrong_key = AZURITE_KEY[:-8] + "AAAAAAA="
    connection_string = azure_blob.connection_string.replace(AZURITE_KEY, wrong_key)
    location = f"wasbs://{CONTAINER}@{AZURITE_ACCOUNT}.blob.core.windows.net/wrong-key"
    step = train_into(tmp_path, location, {"AZURE_STORAGE_CONNECTION_STRING": connection_string})
    assert_one_store_error(step, "wasbs", "refused the request (HTTP 403", wrong_key)


def test_gcs_bucket_that_does_not_exist(tmp_path, gcs: GCS):
    step = train_into(tmp_path, "gs://no-such-bucket/mlflow", gcs.env)
    assert_one_store_error(step, "gs", "answered HTTP 404")
