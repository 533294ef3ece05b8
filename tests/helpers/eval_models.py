"""Real scikit-learn models for the same-data evaluation tests: two data sets drawn from one task (A and B,
B with noisier labels), models trained on either and logged to a real tracking server."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient

FEATURES = [f"f{i}" for i in range(6)]


def task_rows(rows: int, seed: int, label_noise: float = 0.0) -> pd.DataFrame:
    """Rows of one fixed binary task (the same true weights for every seed): features f0..f5 and `label`."""
    weights = np.array([1.5, -2.0, 1.0, 0.5, 0.0, 0.0])
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, len(FEATURES)))
    logits = x @ weights + 0.3 * x[:, 0] * x[:, 1]
    y = (logits + rng.normal(scale=0.8, size=rows) > 0).astype(int)
    flip = rng.random(rows) < label_noise
    y[flip] = 1 - y[flip]
    return pd.DataFrame(x, columns=FEATURES).assign(label=y)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


@dataclass(frozen=True)
class Logged:
    run_id: str
    model_id: str
    model_uri: str


def log_model(
    tracking_uri: str,
    experiment: str,
    model: Any,
    train: pd.DataFrame,
    metrics: dict[str, float] | None = None,
    tags: dict[str, str] | None = None,
) -> Logged:
    """Fit `model` on `train` and log it the way the sweep does (cloudpickle, signature), with `metrics`."""
    from mlflow.models import infer_signature

    x, y = train[FEATURES], train["label"]
    model.fit(x, y)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(tags=tags) as run:
        if metrics:
            mlflow.log_metrics(metrics)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(x.head(), model.predict(x.head())),
            pip_requirements=["scikit-learn"],
            serialization_format="cloudpickle",
        )
    return Logged(run.info.run_id, info.model_id, f"models:/{info.model_id}")


def register(tracking_uri: str, name: str, logged: Logged, alias: str = "production") -> str:
    client = MlflowClient(tracking_uri)
    with contextlib.suppress(mlflow.exceptions.MlflowException):  # it exists already
        client.create_registered_model(name)
    version = client.create_model_version(name, logged.model_uri, run_id=logged.run_id, model_id=logged.model_id)
    if alias:
        client.set_registered_model_alias(name, alias, version.version)
    return str(version.version)
