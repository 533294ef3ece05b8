"""Deleting a logged model's files on the server, as a retention job or a careless hand would."""

from __future__ import annotations

from mlflow import MlflowClient
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository


def delete_model_files(server: str, run_id: str) -> None:
    """Delete every file of the run's logged model(s) through the server's artifact API; the run, the
    logged model's record and any registered version stay."""
    client = MlflowClient(server)
    run = client.get_run(run_id)
    for output in run.outputs.model_outputs if run.outputs else []:
        location = client.get_logged_model(output.model_id).artifact_location
        get_artifact_repository(location, tracking_uri=server).delete_artifacts()
