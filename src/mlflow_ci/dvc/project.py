"""The DVC project in the workspace: whether there is one, what dvc.lock records, and the dvc command."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mlflow_ci import proc
from mlflow_ci.errors import DvcError, InputError

_SKIPPED_DIRS = {".git", ".dvc", ".venv", "venv", "node_modules", "__pycache__", "mlruns", "mlartifacts"}


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
    pipeline = load_yaml(workspace / "dvc.yaml") or {}
    lock = load_yaml(workspace / "dvc.lock") or {}
    declared = (pipeline.get("stages") or {}) if isinstance(pipeline, dict) else {}
    locked = (lock.get("stages") or {}) if isinstance(lock, dict) else {}
    # foreach/matrix stages are locked as `name@key`
    return [str(stage) for stage in locked if str(stage).split("@")[0] in declared] + _dvc_files(workspace)


def enabled(mode: str, workspace: Path) -> bool:
    return mode == "true" or (mode == "auto" and is_project(workspace))


def executable(mode: str, environ: Mapping[str, str]) -> str:
    found = proc.which("dvc", environ)
    if not found:
        why = "is true" if mode == "true" else "is auto and this is a DVC project (dvc.yaml or .dvc files)"
        raise InputError(
            "dvc",
            f"{why}, but the dvc command is not on PATH",
            "install it in an earlier step (e.g. pip install 'dvc[s3]' with your remote's extra), or set dvc: false",
        )
    return found


def environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for dvc: the remote's credentials (AWS_*, AZURE_*, GOOGLE_*...) stay, inputs and
    GitHub's tokens go, and DVC's telemetry is off."""
    return {**proc.clean_environment(environ), "DVC_NO_ANALYTICS": "1"}


def load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, yaml.YAMLError) as exc:
        raise DvcError(f"cannot read {path.name}: {exc}: fix the file (dvc repro rewrites dvc.lock)") from None
