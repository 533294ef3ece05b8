"""An artifact store's client: present, or one error naming the scheme and the package."""

from __future__ import annotations

import pytest

from mlflow_ci.tracking import stores


@pytest.mark.parametrize(
    "uri",
    [
        "s3://bucket/path",
        "wasbs://mlflow@account.blob.core.windows.net/path",
        "gs://bucket/path",
        "mlflow-artifacts:/1/abc/artifacts",  # proxied: the server's business
        "file:///tmp/mlruns",
        "/tmp/mlruns",
        "dbfs:/databricks/mlflow-tracking/1",
    ],
)
def test_stores_this_environment_reaches_pass(uri):
    stores.require_client(uri)


def test_a_store_without_its_client_names_scheme_and_package(monkeypatch):
    monkeypatch.setitem(stores.CLIENTS, "hdfs", stores.StoreClient("mlflow_ci_no_such_module.fs", "pyarrow"))
    with pytest.raises(stores.MissingStoreClient) as raised:
        stores.require_client("hdfs://namenode:8020/mlflow/1/abc/artifacts")
    message = str(raised.value)
    assert raised.value.exit_code == 3 and "hdfs://" in message and "pip install pyarrow" in message
    assert "--artifacts-destination hdfs://" in message  # the other way out: a proxying server


def test_an_import_error_for_a_store_client_becomes_the_same_error():
    found = stores.missing_client_in(ModuleNotFoundError("No module named 'boto3'", name="boto3"))
    assert found is not None and "boto3" in str(found) and "s3://" in str(found)
    assert stores.missing_client_in(ModuleNotFoundError("No module named 'azure'", name="azure")) is not None
    assert stores.missing_client_in(ModuleNotFoundError("No module named 'numpy'", name="numpy")) is None
