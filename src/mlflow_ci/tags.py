"""The tags the action puts on every run it trains and every model version it registers: the one place
they are built, so a search by commit or workflow run finds what the action wrote."""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping

from mlflow_ci import __version__
from mlflow_ci.dvc import DataVersion
from mlflow_ci.github import Context

TAG_COMMIT = "mlflow_ci.commit"
TAG_WORKFLOW_RUN = "mlflow_ci.workflow_run_id"
TAG_MLFLOW_GIT_COMMIT = "mlflow.source.git.commit"
# Marks the runs of one train step, so runs a user's command starts on its own can be told apart from
# runs other jobs log into the same experiment meanwhile.
TAG_TRAIN_ID = "mlflow_ci.train_id"


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


TAG_DVC_LOCK = "mlflow_ci.dvc.lock_sha256"
MAX_TAG_KEY = 250
MAX_TAG_VALUE = 5000  # the smallest limit among MLflow's stores


def _key_part(text: str) -> str:
    """Valid in an MLflow key (letters, digits, _ - . / and space); other characters (e.g. foreach's @) become _."""
    return re.sub(r"[^\w.\-/ ]", "_", text)


def _valid_key(key: str) -> bool:
    """As MLflow checks param keys (colons allowed off Windows; the runner is Linux)."""
    return 0 < len(key) <= MAX_TAG_KEY and bool(re.fullmatch(r"[/\w.\- :]*", key)) and posixpath.normpath(key) == key


def data_tags(version: DataVersion) -> dict[str, str]:
    """The data a run was trained on: `mlflow_ci.dvc.lock_sha256` and, per stage,
    `mlflow_ci.dvc.<stage>.deps` = `path=hash` pairs, one a line (their sha256 when too long for a tag)."""
    tags = {TAG_DVC_LOCK: version.lock_sha256} if version.lock_sha256 else {}
    for stage, deps in version.stage_deps.items():
        key = f"mlflow_ci.dvc.{_key_part(stage)}.deps"
        if len(key) > MAX_TAG_KEY:
            key = f"mlflow_ci.dvc.{hashlib.sha256(stage.encode()).hexdigest()[:16]}.deps"
        value = "\n".join(f"{path}={digest}" for path, digest in deps)
        if len(value) > MAX_TAG_VALUE:
            value = "sha256:" + hashlib.sha256(value.encode()).hexdigest()
        tags[key] = value
    return tags


def data_params(version: DataVersion, existing: Mapping[str, str]) -> dict[str, str]:
    """params.yaml values the stages use, as run params; keys the run logged itself are left alone
    (MLflow params cannot change), as are keys MLflow would refuse."""
    params: dict[str, str] = {}
    for key, value in version.params.items():
        if key in existing or not _valid_key(key):
            continue
        params[key] = value[:6000]
    return params
