"""Logging a sweep's fitted candidates: each becomes one tagged MLflow run with params and metrics in one
log_batch, the model (signature, input example, explicit pip requirements), a confusion matrix for
classifiers and metrics.json. One run after another, so no two processes write to the store at once (the
embedded sqlite store would lock)."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from mlflow_ci.tracking.tags import TAG_CANDIDATE, TAG_SWEEP
from mlflow_ci.train.sweep.config import Sweep
from mlflow_ci.train.sweep.fit import Outcome

if TYPE_CHECKING:
    from mlflow import MlflowClient


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Hide the flavour's warning that pickle formats run code on load: the user chose these models."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def pip_requirements() -> list[str]:
    """Pinned to what trained the model; explicit, so MLflow skips its seconds-long dependency inference."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("scikit-learn", "cloudpickle", "numpy", "pandas")]


def record(
    client: MlflowClient,
    experiment_id: str,
    name: str,
    tags: Mapping[str, str],
    params: Mapping[str, str],
    metrics: Mapping[str, float],
) -> str:
    """A run with its tags, then its params and metrics in one request (log_batch splits at the server's
    limits): two round trips however many values, where one call per value costs one round trip each."""
    from mlflow.entities import Metric, Param
    from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

    run_id = client.create_run(experiment_id, run_name=name, tags=dict(tags)).info.run_id
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric(key, value, now, 0) for key, value in metrics.items()],
        params=[Param(key, value[:MAX_PARAM_VAL_LENGTH]) for key, value in params.items()],
    )
    return run_id


def log_outcomes(
    tracking_uri: str,
    experiment_id: str,
    sweep: Sweep,
    outcomes: list[Outcome],
    tags: Mapping[str, str],
    write: Callable[[str], None],
) -> list[str]:
    """One finished run per outcome; returns their ids in the config's order."""
    import mlflow
    from mlflow.models import infer_signature

    mlflow.set_tracking_uri(tracking_uri)
    # log_model needs the run active; start_run(run_id) refuses a run outside the active experiment.
    mlflow.set_experiment(experiment_id=experiment_id)
    client = mlflow.MlflowClient(tracking_uri)
    requirements = pip_requirements()
    split = {"cv": str(sweep.cv)} if sweep.cv else {"test_size": str(sweep.test_size)}
    run_ids: list[str] = []
    for outcome in outcomes:
        candidate = outcome.candidate
        params = {
            "estimator": "+".join(candidate.estimator),
            "dataset": sweep.dataset.describe(),
            "seed": str(sweep.seed),
            **split,
            **{key: str(value) for key, value in candidate.params.items()},
        }
        run_id = record(
            client,
            experiment_id,
            candidate.name,
            {**tags, TAG_CANDIDATE: candidate.name, TAG_SWEEP: str(sweep.path)},
            params,
            outcome.metrics,
        )
        with mlflow.start_run(run_id=run_id), _quiet("mlflow.sklearn"):
            # cloudpickle, not MLflow's default skops, which refuses tree models unless told their types.
            mlflow.sklearn.log_model(
                outcome.model,
                name="model",
                signature=infer_signature(outcome.sample, outcome.model.predict(outcome.sample)),
                input_example=outcome.sample,
                pip_requirements=requirements,
                serialization_format="cloudpickle",
            )
            with tempfile.TemporaryDirectory() as scratch:
                folder = Path(scratch)
                (folder / "metrics.json").write_text(json.dumps(outcome.metrics, indent=2), encoding="utf-8")
                if outcome.confusion_png is not None:
                    (folder / "confusion_matrix.png").write_bytes(outcome.confusion_png)
                client.log_artifacts(run_id, str(folder))
        shown = ", ".join(f"{name} {value:.4g}" for name, value in outcome.metrics.items())
        write(f"trained {candidate.name}: {shown} ({outcome.seconds:.1f} s) -> run {run_id}\n")
        run_ids.append(run_id)
    return run_ids
