"""The data version a run was trained on, as dvc.lock records it, and its tags and params on the runs."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import Param, RunTag
from mlflow.utils.validation import MAX_ENTITY_KEY_LENGTH, MAX_PARAM_VAL_LENGTH

from mlflow_ci.dvc.project import load_yaml
from mlflow_ci.tracking.tags import TAG_DVC_LOCK, TAG_DVC_PREFIX


@dataclass
class DataVersion:
    """What a run was trained on, as dvc.lock records it."""

    lock_sha256: str = ""
    stage_deps: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # stage -> [(path, hash)]
    params: dict[str, str] = field(default_factory=dict)


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
            values = load_yaml(workspace / str(file)) or {}
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
    lock = load_yaml(lock_path) or {}
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
    pipeline = load_yaml(workspace / "dvc.yaml") or {}
    for stage, entry in (pipeline.get("stages") or {} if isinstance(pipeline, dict) else {}).items():
        if stage not in locked and isinstance(entry, dict):
            for key, value in _params_from_dvc_yaml(workspace, entry).items():
                version.params.setdefault(key, value)
    return version


MAX_TAG_KEY = MAX_ENTITY_KEY_LENGTH
MAX_TAG_VALUE = 5000  # the smallest limit among MLflow's stores (Databricks); OSS allows 8000


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
        key = f"{TAG_DVC_PREFIX}{_key_part(stage)}.deps"
        if len(key) > MAX_TAG_KEY:
            key = f"{TAG_DVC_PREFIX}{hashlib.sha256(stage.encode()).hexdigest()[:16]}.deps"
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
        params[key] = value[:MAX_PARAM_VAL_LENGTH]
    return params


def record(client: MlflowClient, run_ids: list[str], version: DataVersion) -> None:
    """The data version's tags and params on each run."""
    tags = [RunTag(key, value) for key, value in data_tags(version).items()]
    for run_id in run_ids:
        params = data_params(version, client.get_run(run_id).data.params)
        client.log_batch(run_id, tags=tags, params=[Param(key, value) for key, value in params.items()])
