"""Real MLflow runs for tests: real scikit-learn models, logged the MLflow 3 way or the classic way."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

_MODEL = LogisticRegression().fit([[0.0], [1.0]], [0, 1])


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def log_run(
    tracking_uri: str,
    experiment: str,
    metrics: dict[str, float],
    *,
    model: str = "logged",
    tags: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    status: str = "FINISHED",
) -> str:
    """One run with `metrics`; model is 'logged' (MLflow 3 LoggedModel), 'classic' (runs:/<id>/model) or
    'none'. Returns the run id."""
    mlflow.set_tracking_uri(tracking_uri)
    if tracking_uri.startswith("sqlite:///") and mlflow.get_experiment_by_name(experiment) is None:
        # An embedded store's default artifact root is ./mlruns, in whatever folder the tests run from.
        artifacts = Path(tracking_uri.removeprefix("sqlite:///")).parent / "artifacts"
        mlflow.create_experiment(experiment, artifact_location=artifacts.as_uri())
    mlflow.set_experiment(experiment)
    with mlflow.start_run(tags=tags) as run:
        if params:
            mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        if model == "logged":
            mlflow.sklearn.log_model(_MODEL, name="model", pip_requirements=["scikit-learn"])
        elif model == "classic":
            with tempfile.TemporaryDirectory() as scratch:
                path = Path(scratch) / "model"
                mlflow.sklearn.save_model(_MODEL, path, pip_requirements=["scikit-learn"])
                mlflow.log_artifacts(str(path), artifact_path="model")
    if status != "FINISHED":
        MlflowClient(tracking_uri).set_terminated(run.info.run_id, status=status)
    return run.info.run_id
