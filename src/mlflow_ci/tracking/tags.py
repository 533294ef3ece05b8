"""The tags the action writes on runs and model versions: every key is defined here, and the provenance
tags are built here, so a search by commit or workflow run finds what the action wrote."""

from __future__ import annotations

from mlflow_ci import __version__
from mlflow_ci.github.context import Context

TAG_COMMIT = "mlflow_ci.commit"
TAG_WORKFLOW_RUN = "mlflow_ci.workflow_run_id"
TAG_MLFLOW_GIT_COMMIT = "mlflow.source.git.commit"
# Marks the runs of one train step, so runs a user's command starts on its own can be told apart from
# runs other jobs log into the same experiment meanwhile.
TAG_TRAIN_ID = "mlflow_ci.train_id"
# A sweep's runs: the candidate's name and the sweep file it came from.
TAG_CANDIDATE = "mlflow_ci.candidate"
TAG_SWEEP = "mlflow_ci.sweep_config"
# The data version of dvc.lock; each stage's deps go in mlflow_ci.dvc.<stage>.deps.
TAG_DVC_LOCK = "mlflow_ci.dvc.lock_sha256"
TAG_DVC_PREFIX = "mlflow_ci.dvc."


def run_tags(ctx: Context) -> dict[str, str]:
    """Where a run came from: the commit (a PR's head, not its merge commit), ref, PR, event, workflow run,
    actor and the action's version. Empty values are left out."""
    tags = {
        TAG_COMMIT: ctx.head_sha,
        "mlflow_ci.ref": ctx.ref,
        "mlflow_ci.pr_number": str(ctx.pr_number) if ctx.pr_number is not None else "",
        "mlflow_ci.event": ctx.event_name,
        "mlflow_ci.repository": ctx.repository,
        TAG_WORKFLOW_RUN: ctx.run_id,
        "mlflow_ci.workflow_run_attempt": ctx.run_attempt,
        "mlflow_ci.workflow_run_url": ctx.run_url,
        "mlflow_ci.job": ctx.job,
        "mlflow_ci.actor": ctx.actor,
        "mlflow_ci.version": __version__,
    }
    return {key: value for key, value in tags.items() if value}
