"""The user's training command, run in the user's environment under an MLflow run the action starts.

The child gets a clean environment (no inputs, no GitHub or Actions tokens) plus MLFLOW_TRACKING_URI,
MLFLOW_EXPERIMENT_NAME and MLFLOW_RUN_ID, so a plain `mlflow.start_run()` lands in the action's run.
MLFLOW_RUN_CONTEXT (MLflow's documented hook for tags on every new run) carries the action's tags to the
runs the command starts on its own; afterwards the experiment is searched for runs started meanwhile.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from mlflow import MlflowClient
from mlflow import environment_variables as mlflow_env
from mlflow.entities import RunTag
from mlflow.exceptions import MlflowException

from mlflow_ci import proc
from mlflow_ci.errors import TrainFailed
from mlflow_ci.tracking.client import CLIENT_DEFAULTS
from mlflow_ci.tracking.tags import TAG_TRAIN_ID

_OWN_SOURCES = Path(__file__).resolve().parents[2]  # the folder holding the mlflow_ci package


def get_or_create_experiment(client: MlflowClient, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    try:
        return client.create_experiment(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":  # another job of the matrix made it meanwhile
            raise
    experiment = client.get_experiment_by_name(name)
    assert experiment is not None
    return experiment.experiment_id


def child_environment(
    environ: Mapping[str, str], tracking_uri: str, experiment_name: str, run_id: str, tags: Mapping[str, str]
) -> dict[str, str]:
    env = proc.clean_environment(environ)
    # The HTTP limits the action sets for itself (fail fast) are not the user's: uploads may be slow.
    for name, value in CLIENT_DEFAULTS.items():
        if name.startswith("MLFLOW_HTTP_") and env.get(name) == value:
            del env[name]
    # action.yml puts the action's own sources on PYTHONPATH for the action; the user's Python is not ours.
    kept = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p).resolve() != _OWN_SOURCES]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        env.pop("PYTHONPATH", None)
    env.update(
        {
            mlflow_env.MLFLOW_TRACKING_URI.name: tracking_uri,
            mlflow_env.MLFLOW_EXPERIMENT_NAME.name: experiment_name,
            mlflow_env.MLFLOW_RUN_ID.name: run_id,
            mlflow_env.MLFLOW_RUN_CONTEXT.name: json.dumps(dict(tags)),
        }
    )
    env.setdefault("PYTHONUNBUFFERED", "1")  # the command's output is piped: keep it live
    return env


def absolute_tracking_uri(uri: str) -> str:
    """The URI as the child, running in the workspace, must see it: a relative sqlite or file store is
    relative to the action's working directory."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        path = uri.removeprefix("sqlite:///")
        if path and not path.startswith(":memory:"):
            return f"sqlite:///{Path(path).resolve()}"
    if uri.startswith("file:") and not uri.startswith(("file:/", "file:///")):
        return Path(uri.removeprefix("file:")).resolve().as_uri()
    if "://" not in uri and ":" not in uri[:3] and uri:
        return str(Path(uri).resolve())
    return uri


def shell_argv(command: str) -> list[str]:
    """The command as GitHub runs a `run:` step: bash with -e and pipefail, else sh -e."""
    bash = shutil.which("bash")
    if bash:
        return [bash, "--noprofile", "--norc", "-eo", "pipefail", "-c", command]
    return [shutil.which("sh") or "/bin/sh", "-ec", command]


def run_command(
    client: MlflowClient,
    command: str,
    *,
    tracking_uri: str,
    experiment_name: str,
    tags: Mapping[str, str],
    environ: Mapping[str, str],
    workspace: Path,
    write: Callable[[str], None],
) -> list[str]:
    """Run the command under a new run of the experiment; return every run it made, the action's first."""
    experiment_id = get_or_create_experiment(client, experiment_name)
    train_tags = {**tags, TAG_TRAIN_ID: uuid.uuid4().hex}
    # Runs the command starts get their start time from this machine's clock: a second of slack.
    started_ms = int(time.time() * 1000) - 1000
    run = client.create_run(experiment_id, tags=train_tags, run_name="train-command")
    run_id = run.info.run_id
    env = child_environment(environ, absolute_tracking_uri(tracking_uri), experiment_name, run_id, train_tags)
    try:
        code = proc.stream(
            shell_argv(command),
            cwd=workspace,
            env=env,
            write=write,
            what="train-command",
            error=TrainFailed,
            hint="check the workspace",
        )
    except TrainFailed:
        client.set_terminated(run_id, status="FAILED")
        raise
    except BaseException:
        client.set_terminated(run_id, status="KILLED")
        raise
    others = _runs_started_by_command(client, experiment_id, started_ms, run_id, train_tags)
    if code != 0:
        client.set_terminated(run_id, status="FAILED")
        raise TrainFailed(
            f"train-command exited with code {code} (its output is above); MLflow run {run_id} is marked FAILED: "
            "fix the command, or run it locally with the same MLFLOW_* variables"
        )
    if client.get_run(run_id).info.status == "RUNNING":  # the command did not end the run itself
        client.set_terminated(run_id, status="FINISHED")
    return [run_id, *others]


def _runs_started_by_command(
    client: MlflowClient, experiment_id: str, started_ms: int, own_run_id: str, tags: Mapping[str, str]
) -> list[str]:
    """Runs in the experiment started since the command began that are this step's: those carrying its
    train id (fluent runs) and those carrying no mlflow_ci tag at all (runs made with the client API)."""
    found: list[str] = []
    token = None
    while True:
        page = client.search_runs(
            [experiment_id], filter_string=f"attributes.start_time >= {started_ms}", max_results=1000, page_token=token
        )
        for run in page:
            run_tags = run.data.tags
            if run.info.run_id == own_run_id:
                continue
            if run_tags.get(TAG_TRAIN_ID) == tags[TAG_TRAIN_ID]:
                found.append(run.info.run_id)
            elif not any(key.startswith("mlflow_ci.") for key in run_tags):
                client.log_batch(run.info.run_id, tags=[RunTag(k, v) for k, v in tags.items()])
                found.append(run.info.run_id)
        token = page.token
        if not token:
            return sorted(found)
