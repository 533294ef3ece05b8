"""Artifact stores a client writes to itself: the Python package MLflow needs for each scheme, checked before
the step touches the store, so a missing one is one error naming the scheme and the package (MLflow would
raise a ModuleNotFoundError, or for hdfs a NameError, from deep inside a call)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from mlflow_ci.errors import ServerError


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


class MissingStoreClient(ServerError):
    title = "artifact store"


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
