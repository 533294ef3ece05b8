"""Whether a model can be loaded at all: its files are there and its MLmodel lists flavors. Checked before
anything is written to the registry, so a model whose files were deleted never reaches production."""

from __future__ import annotations

import tempfile
from pathlib import Path

import mlflow
import yaml
from mlflow import MlflowClient

from mlflow_ci.errors import NoModel

MLMODEL = "MLmodel"


def _location(client: MlflowClient, uri: str) -> str:
    """Where the model's files are, asked of this client's own tracking server and registry (MLflow's
    `models:/` resolution would use the process's global URIs instead)."""
    if uri.startswith("models:/m-"):
        return client.get_logged_model(uri.removeprefix("models:/")).artifact_location
    if uri.startswith("models:/"):
        name, _, version = uri.removeprefix("models:/").rpartition("/")
        return client.get_model_version_download_uri(name, version)
    return uri


def check_model_files(client: MlflowClient, uri: str, what: str) -> tuple[str, ...]:
    """The flavors in the MLmodel at `uri`. NoModel (naming `what`) when the files are gone or MLmodel lists
    none; a server that cannot answer raises MLflow's own error, which the step reports as a server error."""
    location, tracking_uri = _location(client, uri), client.tracking_uri
    names = [
        Path(f.path).name for f in mlflow.artifacts.list_artifacts(artifact_uri=location, tracking_uri=tracking_uri)
    ]
    if MLMODEL not in names:
        found = f"only {', '.join(sorted(names))}" if names else "no files"
        raise NoModel(
            f"{what} cannot be loaded: {uri} has {found} and no {MLMODEL} (its files were deleted or never "
            "logged): log the model again, or pick another"
        )
    with tempfile.TemporaryDirectory() as scratch:
        path = mlflow.artifacts.download_artifacts(
            artifact_uri=f"{location.rstrip('/')}/{MLMODEL}", dst_path=scratch, tracking_uri=tracking_uri
        )
        # Read as YAML, not with mlflow.models.Model: that parses the signature, which needs numpy, and the
        # action's venv (mlflow-skinny) has none.
        try:
            document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:  # a file the user controls
            raise NoModel(f"{what} cannot be loaded: the {MLMODEL} at {uri} is unreadable ({exc})") from None
        listed = document.get("flavors") if isinstance(document, dict) else None
        flavors = tuple(listed) if isinstance(listed, dict) else ()
    if not flavors or names == [MLMODEL]:
        raise NoModel(
            f"{what} cannot be loaded: the {MLMODEL} at {uri} lists no flavors or its files are missing: log "
            "the model again"
        )
    return flavors
