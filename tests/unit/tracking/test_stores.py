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


def _store_exceptions() -> list[tuple[BaseException, str, str]]:
    """(what a store client raises, the scheme named, what the error says): the clients' real classes."""
    from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError, ServiceRequestError
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
    from google.api_core.exceptions import Forbidden, NotFound
    from google.auth.exceptions import DefaultCredentialsError

    def s3_answer(status: int, code: str) -> ClientError:
        return ClientError(
            {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject"
        )

    def upload_failed(under: ClientError) -> BaseException:
        from boto3.exceptions import S3UploadFailedError

        try:
            try:
                raise under
            except ClientError as exc:
                raise S3UploadFailedError(f"Failed to upload model.pkl to mlflow/x: {exc}")  # noqa: B904 - as boto3
        except S3UploadFailedError as wrapped:
            return wrapped

    azure_refused = ClientAuthenticationError("Server failed to authenticate the request")
    azure_refused.status_code = 403
    azure_missing = ResourceNotFoundError("The specified container does not exist")
    azure_missing.status_code = 404
    return [
        (NoCredentialsError(), "s3", "needs credentials this environment lacks"),
        (s3_answer(403, "AccessDenied"), "s3", "refused the request (HTTP 403"),
        (s3_answer(404, "NoSuchBucket"), "s3", "answered HTTP 404"),
        (upload_failed(s3_answer(404, "NoSuchBucket")), "s3", "answered HTTP 404"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9/mlflow"), "s3", "cannot reach"),
        (DefaultCredentialsError("Your default credentials were not found"), "gs", "google-github-actions/auth"),
        (Forbidden("no storage.objects.create"), "gs", "refused the request (HTTP 403"),
        (NotFound("bucket mlflow"), "gs", "answered HTTP 404"),
        (azure_refused, "wasbs", "refused the request (HTTP 403"),
        (azure_missing, "wasbs", "answered HTTP 404"),
        (ServiceRequestError("Connection refused"), "wasbs", "cannot reach"),
    ]


def test_a_store_client_s_exception_is_one_error_naming_the_store_and_the_fix():
    for raised, scheme, says in _store_exceptions():
        error = stores.client_error(raised)
        assert error is not None and error.exit_code == 3, raised
        message = str(error)
        assert message.startswith((f"the {scheme}:// artifact store", f"cannot reach the {scheme}:// artifact store"))
        assert says in message, message
        assert "\n" not in message


def test_other_exceptions_are_not_a_store_s():
    from google.protobuf.message import DecodeError  # MLflow's own protobuf: not the GCS client

    for raised in (ValueError("x"), OSError("y"), DecodeError("z"), KeyError("w")):
        assert stores.client_error(raised) is None
