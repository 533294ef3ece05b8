"""Shared set-up for the promotion tests: a model in production, candidates by workflow run, the `ci` line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.helpers import jobs
from tests.helpers.mlflow_runs import log_run, unique

TAG_WORKFLOW_RUN = "mlflow_ci.workflow_run_id"  # what scope: workflow-run searches for


def ci_args(uri: str, experiment: str, model: str, *extra: str) -> list[str]:
    """One job's `ci`: its own workflow run's best run, gated against production with min-improvement 0."""
    return [
        "ci",
        "--tracking-uri",
        uri,
        "--experiment-name",
        experiment,
        "--metric",
        "accuracy",
        "--model-name",
        model,
        "--stage",
        "Production",
        "--min-improvement",
        "0",
        "--scope",
        "workflow-run",
        *extra,
    ]


# Eight jobs starting at once on a small shared machine spend most of 30 s importing MLflow and waiting for
# the lock: the race tests are about who wins, so they allow more time (the deadline has tests of its own).
PATIENT = ("--server-timeout", "120")


def candidate(server: str, experiment: str, accuracy: float, workflow_run: str) -> str:
    """A run with a real logged model, trained by workflow run `workflow_run`."""
    return log_run(server, experiment, {"accuracy": accuracy}, tags={TAG_WORKFLOW_RUN: workflow_run})


@dataclass
class Model:
    server: str
    experiment: str
    name: str
    champion_run: str = ""


def new_model(server: str) -> Model:
    return Model(server, unique("exp"), unique("Model"))


def promote(tmp_path: Path, model: Model, accuracy: float, workflow_run: str, uri: str = "") -> jobs.Job:
    """Log a candidate of workflow run `workflow_run` and run that workflow run's `ci` job to the end."""
    run_id = candidate(model.server, model.experiment, accuracy, workflow_run)
    root = tmp_path / unique(f"job-{workflow_run}")
    root.mkdir(parents=True)
    job = jobs.run_one(root, ci_args(uri or model.server, model.experiment, model.name), run_id=workflow_run)
    job.run_id = run_id  # type: ignore[attr-defined]
    return job
