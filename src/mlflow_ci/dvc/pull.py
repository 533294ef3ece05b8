"""`dvc pull` before training, and the stale-pipeline check after it (the user's dvc, with a time limit)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

from mlflow_ci import proc
from mlflow_ci.dvc.project import environment, executable, pull_targets
from mlflow_ci.errors import DvcError, InputError, PullFailed
from mlflow_ci.redact import output_tail, strip_credentials

PULL_TIMEOUT = 3600  # seconds: data can be large, but a hung remote must not hold the runner for 6 hours
STATUS_TIMEOUT = 600
QUICK_TIMEOUT = 60


def _run(dvc: str, args: list[str], workspace: Path, env: Mapping[str, str], timeout: int) -> proc.Finished:
    return proc.run(
        [dvc, *args],
        cwd=workspace,
        env=env,
        timeout=timeout,
        what=f"dvc {' '.join(args)}",
        error=DvcError,
        hint="check the remote",
    )


def _remote(dvc: str, workspace: Path, env: Mapping[str, str]) -> tuple[str, str]:
    """The default remote's name and URL (credentials stripped); empty when none is configured."""
    done = _run(dvc, ["remote", "default"], workspace, env, QUICK_TIMEOUT)
    name = done.stdout.strip()
    if done.code != 0 or not name:  # "No default remote set", exit 1
        return "", ""
    # Not `dvc remote list`: it wraps long lines at 80 columns.
    url = _run(dvc, ["config", f"remote.{name}.url"], workspace, env, QUICK_TIMEOUT).stdout.strip()
    return name, strip_credentials(url)


def pull(dvc: str, workspace: Path, env: Mapping[str, str]) -> str:
    """`dvc pull` of what dvc.lock and the .dvc files record; returns what it said. Any failure is one error
    naming the remote."""
    if not (workspace / ".dvc").is_dir():
        raise InputError(
            "dvc",
            f"is on but {workspace} is not a DVC repository (no .dvc folder)",
            "commit the .dvc folder dvc init made, or set dvc: false",
        )
    targets = pull_targets(workspace)
    if not targets:
        return "dvc pull: nothing to pull yet (no stage in dvc.lock, no .dvc file)"
    done = _run(dvc, ["pull", *targets], workspace, env, PULL_TIMEOUT)
    if done.code == 0:
        return output_tail(done.stdout, 1)
    name, url = _remote(dvc, workspace, env)
    said = done.said()
    if not name:
        raise PullFailed(
            f"dvc pull failed and no default DVC remote is configured ({said}): add one with "
            "`dvc remote add -d <name> <url>` and commit .dvc/config"
        )
    raise PullFailed(
        f"dvc pull from remote '{name}' ({url or 'no url'}) failed: {said}: check that the remote exists, is "
        "reachable from the runner and that its credentials are in the step's env (e.g. AWS_ACCESS_KEY_ID), "
        "and that the data was pushed with dvc push"
    )


def stale_stages(dvc: str, workspace: Path, env: Mapping[str, str]) -> dict[str, list[str]]:
    """Stages whose dvc.lock does not match the workspace, with what changed ({} when up to date)."""
    done = _run(dvc, ["status", "--json"], workspace, env, STATUS_TIMEOUT)
    if done.code != 0:
        said = done.said()
        raise DvcError(f"dvc status failed: {said}: run dvc status locally")
    try:
        status = json.loads(done.stdout or "{}")
    except ValueError:
        return {}
    stale: dict[str, list[str]] = {}
    for stage, changes in status.items():
        described: list[str] = []
        for change in changes if isinstance(changes, list) else []:
            if isinstance(change, dict):
                for kind, paths in change.items():
                    shown = ", ".join(f"{p} {s}" for p, s in paths.items()) if isinstance(paths, dict) else ""
                    described.append(f"{kind}: {shown}" if shown else kind)
            else:
                described.append(str(change))
        stale[stage] = described
    return stale


def prepare(
    mode: str, workspace: Path, environ: Mapping[str, str], *, write: Callable[[str], None], warn: Callable[[str], None]
) -> None:
    """`dvc pull`, then a warning when dvc.lock does not match the workspace."""
    dvc = executable(mode, environ)
    env = environment(environ)
    write(f"mlflow-ci: dvc pull in {workspace}\n")
    said = pull(dvc, workspace, env)
    if said:
        write(f"{said}\n")
    try:
        stale = stale_stages(dvc, workspace, env)
    except DvcError as exc:  # only a check: training can go on
        warn(f"could not compare dvc.lock with the workspace: {exc}")
        return
    if stale:
        shown = "; ".join(f"{stage} ({', '.join(changes)})" if changes else stage for stage, changes in stale.items())
        warn(
            f"dvc.lock does not match the workspace after dvc pull: {shown}. Training sees data dvc.lock does not "
            "record: run dvc repro (e.g. as train-command) and commit dvc.lock, or set dvc-commit-lock: true"
        )
