"""DVC around the train step: `dvc pull` before it, a stale-pipeline warning, and the data version
(a fingerprint of dvc.lock, each stage's dependency hashes, the params.yaml values the stages use)
for every run it trained.

The real `dvc` CLI runs as a subprocess with a time limit: in the composite action it is the user's
dvc (their remote plugins, their version); the action only reads dvc.lock, dvc.yaml and params.yaml.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlflow_ci.errors import CIError, InputError
from mlflow_ci.redact import output_tail, strip_credentials

PULL_TIMEOUT = 3600  # seconds: data can be large, but a hung remote must not hold the runner for 6 hours
STATUS_TIMEOUT = 600
QUICK_TIMEOUT = 60
_SKIPPED_DIRS = {".git", ".dvc", ".venv", "venv", "node_modules", "__pycache__", "mlruns", "mlartifacts"}


class DvcError(CIError):
    title = "dvc"


class PullFailed(DvcError):
    title = "dvc pull"


@dataclass
class DataVersion:
    """What a run was trained on, as dvc.lock records it."""

    lock_sha256: str = ""
    stage_deps: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # stage -> [(path, hash)]
    params: dict[str, str] = field(default_factory=dict)


def _dvc_files(workspace: Path, first_only: bool = False) -> list[str]:
    """`.dvc` files below the workspace, relative to it (hidden and virtualenv folders skipped)."""
    found: list[str] = []
    for root, dirs, files in os.walk(workspace):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".dvc"):
                found.append(str((Path(root) / name).relative_to(workspace)))
                if first_only:
                    return found
    return found


def is_project(workspace: Path) -> bool:
    """A dvc.yaml at the top, or a .dvc file anywhere below."""
    return (workspace / "dvc.yaml").is_file() or bool(_dvc_files(workspace, first_only=True))


def pull_targets(workspace: Path) -> list[str]:
    """What dvc.lock and the .dvc files record: the stages of dvc.yaml that dvc.lock has and every .dvc
    file. A stage not yet in dvc.lock has nothing to pull (dvc repro makes its outputs), and pulling it
    would fail."""
    pipeline = _load_yaml(workspace / "dvc.yaml") or {}
    lock = _load_yaml(workspace / "dvc.lock") or {}
    declared = (pipeline.get("stages") or {}) if isinstance(pipeline, dict) else {}
    locked = (lock.get("stages") or {}) if isinstance(lock, dict) else {}
    # foreach/matrix stages are locked as `name@key`
    return [str(stage) for stage in locked if str(stage).split("@")[0] in declared] + _dvc_files(workspace)


def enabled(mode: str, workspace: Path) -> bool:
    return mode == "true" or (mode == "auto" and is_project(workspace))


def executable(mode: str, environ: Mapping[str, str]) -> str:
    found = shutil.which("dvc", path=environ.get("PATH", os.defpath))
    if not found:
        why = "is true" if mode == "true" else "is auto and this is a DVC project (dvc.yaml or .dvc files)"
        raise InputError(
            "dvc",
            f"{why}, but the dvc command is not on PATH",
            "install it in an earlier step (e.g. pip install 'dvc[s3]' with your remote's extra), or set dvc: false",
        )
    return found


def environment(
    environ: Mapping[str, str], dropped: frozenset[str], dropped_prefixes: tuple[str, ...]
) -> dict[str, str]:
    """The environment for dvc: the remote's credentials (AWS_*, AZURE_*, GOOGLE_*...) stay, inputs and
    GitHub's tokens go, and DVC's telemetry is off."""
    env = {k: v for k, v in environ.items() if k not in dropped and not k.startswith(dropped_prefixes)}
    env["DVC_NO_ANALYTICS"] = "1"
    return env


def _run(
    dvc: str, args: list[str], workspace: Path, env: Mapping[str, str], timeout: int
) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [dvc, *args],
            cwd=workspace,
            env=dict(env),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise DvcError(f"dvc {' '.join(args)} did not finish within {timeout} s: check the remote") from None
    except OSError as exc:
        raise DvcError(f"dvc {' '.join(args)} could not start in {workspace}: {exc.strerror or exc}") from None


def _remote(dvc: str, workspace: Path, env: Mapping[str, str]) -> tuple[str, str]:
    """The default remote's name and URL (credentials stripped); empty when none is configured."""
    done = _run(dvc, ["remote", "default"], workspace, env, QUICK_TIMEOUT)
    name = done.stdout.strip()
    if done.returncode != 0 or not name:  # "No default remote set", exit 1
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
    if done.returncode == 0:
        return output_tail(done.stdout, 1)
    name, url = _remote(dvc, workspace, env)
    said = output_tail(done.stderr + "\n" + done.stdout)
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
    if done.returncode != 0:
        said = output_tail(done.stderr + "\n" + done.stdout)
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


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, yaml.YAMLError) as exc:
        raise DvcError(f"cannot read {path.name}: {exc}: fix the file (dvc repro rewrites dvc.lock)") from None


def _flatten(prefix: str, value: Any, into: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, into)
    else:
        into[prefix] = value if isinstance(value, str) else json.dumps(value)


def _param_name(file: str, key: str) -> str:
    return key if file == "params.yaml" else f"{file}:{key}"


def _params_from_dvc_yaml(workspace: Path, stage: dict) -> dict[str, str]:
    """A stage's params as dvc.yaml lists them, valued from the params files (used before the first repro)."""
    found: dict[str, str] = {}
    for entry in stage.get("params") or []:
        wanted = {"params.yaml": [entry]} if isinstance(entry, str) else entry
        if not isinstance(wanted, dict):
            continue
        for file, keys in wanted.items():
            values = _load_yaml(workspace / str(file)) or {}
            for key in keys or []:
                value: Any = values
                for part in str(key).split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if value is not None:
                    flat: dict[str, str] = {}
                    _flatten(str(key), value, flat)
                    found.update({_param_name(str(file), k): v for k, v in flat.items()})
    return found


def data_version(workspace: Path) -> DataVersion:
    """The data version of the workspace: dvc.lock's sha256, each stage's deps with their hashes, and the
    params the stages use (dvc.lock's recorded values; dvc.yaml plus params.yaml for stages not yet run)."""
    version = DataVersion()
    lock_path = workspace / "dvc.lock"
    lock = _load_yaml(lock_path) or {}
    if lock_path.is_file():
        version.lock_sha256 = hashlib.sha256(lock_path.read_bytes()).hexdigest()
    locked = lock.get("stages") or {} if isinstance(lock, dict) else {}
    for stage, entry in locked.items():
        if not isinstance(entry, dict):
            continue
        deps = []
        for dep in entry.get("deps") or []:
            digest = dep.get("md5") or dep.get("etag") or dep.get("checksum") or dep.get("hash") or ""
            deps.append((str(dep.get("path", "")), str(digest)))
        version.stage_deps[str(stage)] = sorted(deps)
        for file, values in (entry.get("params") or {}).items():
            flat: dict[str, str] = {}
            _flatten("", values, flat)
            version.params.update({_param_name(str(file), k): v for k, v in flat.items()})
    pipeline = _load_yaml(workspace / "dvc.yaml") or {}
    for stage, entry in (pipeline.get("stages") or {} if isinstance(pipeline, dict) else {}).items():
        if stage not in locked and isinstance(entry, dict):
            for key, value in _params_from_dvc_yaml(workspace, entry).items():
                version.params.setdefault(key, value)
    return version
