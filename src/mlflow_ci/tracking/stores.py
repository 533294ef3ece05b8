"""Artifact stores a client writes to itself: the Python package MLflow needs for each scheme, checked before
the step touches the store, so a missing one is one error naming the scheme and the package (MLflow would
raise a ModuleNotFoundError, or for hdfs a NameError, from deep inside a call); and the store clients' own
exceptions (no credentials, refused, unreachable) as one error naming the store and the fix."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from mlflow_ci.errors import ServerError
from mlflow_ci.redact import strip_credentials_in


@dataclass(frozen=True)
class StoreClient:
    module: str  # what MLflow imports
    package: str  # what to install


# The action's venv and image carry the first three families (requirements/runtime.in); the others are rare
# enough to stay out of every user's install.
CLIENTS = {
    "s3": StoreClient("boto3", "boto3"),
    "r2": StoreClient("boto3", "boto3"),
    "b2": StoreClient("boto3", "boto3"),
    "wasbs": StoreClient("azure.storage.blob", "azure-storage-blob"),
    "gs": StoreClient("google.cloud.storage", "google-cloud-storage"),
    "abfss": StoreClient("azure.storage.filedatalake", "azure-storage-file-datalake"),
    "hdfs": StoreClient("pyarrow.fs", "pyarrow"),
    "viewfs": StoreClient("pyarrow.fs", "pyarrow"),
    "sftp": StoreClient("pysftp", "pysftp"),
}


class StoreError(ServerError):
    title = "artifact store"


class MissingStoreClient(StoreError):
    pass


@dataclass(frozen=True)
class StoreFamily:
    """A store client's exceptions, known by the modules they come from (nothing is imported to tell)."""

    scheme: str
    modules: tuple[str, ...]
    credentials: str  # how a runner gives this client credentials


FAMILIES = (
    StoreFamily(
        "s3",
        ("botocore", "boto3", "s3transfer"),
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the step's env, or use "
        "aws-actions/configure-aws-credentials (OIDC)",
    ),
    StoreFamily(
        "gs",
        ("google.auth", "google.api_core", "google.cloud", "google.resumable_media"),
        "authenticate with google-github-actions/auth (Application Default Credentials), or set "
        "GOOGLE_APPLICATION_CREDENTIALS",
    ),
    StoreFamily(
        "wasbs",
        ("azure.core", "azure.identity", "azure.storage"),
        "set AZURE_STORAGE_CONNECTION_STRING (or AZURE_STORAGE_ACCESS_KEY) in the step's env, or use azure/login "
        "for DefaultAzureCredential",
    ),
)
# The clients' "no usable credentials" exceptions, by class name (botocore, google.auth, azure.identity).
_NO_CREDENTIALS = frozenset(
    {
        "NoCredentialsError",
        "PartialCredentialsError",
        "DefaultCredentialsError",
        "RefreshError",
        "CredentialUnavailableError",
    }
)


def _family(exc: BaseException) -> StoreFamily | None:
    module = type(exc).__module__
    for family in FAMILIES:
        if any(module == root or module.startswith(f"{root}.") for root in family.modules):
            return family
    return None


def _status(exc: BaseException | None) -> int | None:
    """The HTTP status the store answered with: botocore's ClientError, google's API errors, azure's; also
    under a wrapper (boto3's S3UploadFailedError is raised while handling the ClientError)."""
    for _ in range(5):
        if exc is None:
            return None
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            return response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        for attribute in ("status_code", "code"):
            value = getattr(exc, attribute, None)
            if isinstance(value, int):
                return value
        exc = exc.__cause__ or exc.__context__
    return None


def client_error(exc: BaseException) -> StoreError | None:
    """One error for an exception a store client raised (a direct store: the runner writes to it itself), or
    None when `exc` is not one."""
    family = _family(exc)
    if family is None:
        return None
    store = f"the {family.scheme}:// artifact store"
    said = strip_credentials_in(" ".join(str(exc).split()))[:300] or type(exc).__name__
    proxy = (
        f"or have the tracking server proxy the artifacts (mlflow server --artifacts-destination {family.scheme}://...)"
    )
    if _NO_CREDENTIALS & {cls.__name__ for cls in type(exc).__mro__}:
        return StoreError(f"{store} needs credentials this environment lacks ({said}): {family.credentials}, {proxy}")
    status = _status(exc)
    if status in (401, 403):
        return StoreError(
            f"{store} refused the request (HTTP {status}: {said}): check that the credentials may write to the "
            f"bucket or container ({family.credentials}), {proxy}"
        )
    if status is not None:
        return StoreError(f"{store} answered HTTP {status} ({said}): check that the bucket or container exists")
    return StoreError(f"cannot reach {store} ({said}): check its endpoint and the runner's network, {proxy}")


def scheme_of(uri: str) -> str:
    return uri.split("://", 1)[0].lower() if "://" in uri else ""


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing
        return False


def require_client(artifact_uri: str) -> None:
    """Raise MissingStoreClient when `artifact_uri` is in a store whose client this Python lacks."""
    scheme = scheme_of(artifact_uri)
    client = CLIENTS.get(scheme)
    if client is None or _importable(client.module):
        return
    raise MissingStoreClient(
        f"the artifacts are in a {scheme}:// store, and MLflow needs the Python package {client.package} to reach "
        f"it, which this environment lacks: have the tracking server proxy the artifacts (mlflow server "
        f"--artifacts-destination {scheme}://...), or run mlflow-ci where {client.package} is installed "
        f"(pip install {client.package})"
    )


def missing_client_in(exc: ImportError) -> MissingStoreClient | None:
    """The same error for an ImportError MLflow raised for a store client, when the check above was not met
    first (a model's artifacts elsewhere than its run's)."""
    name = exc.name or ""
    for scheme, client in CLIENTS.items():
        if name and (client.module == name or client.module.startswith(f"{name}.")):
            return MissingStoreClient(
                f"a {scheme}:// artifact store needs the Python package {client.package}, which this environment "
                f"lacks (No module named '{name}'): have the tracking server proxy the artifacts, or pip install "
                f"{client.package}"
            )
    return None
