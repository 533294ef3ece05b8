"""The model registry: who is in production, idempotent registration, the READY wait, alias and stage."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from mlflow_ci.errors import ServerError
from mlflow_ci.tracking.tags import TAG_PREVIOUS_VERSION

T = TypeVar("T")
_MISSING = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE")


def _quietly(call: Callable[[], T]) -> T:
    """Stage APIs warn that stages are deprecated; the user chose them, so keep the log clean."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return call()


def _is_missing(exc: MlflowException) -> bool:
    return exc.error_code in _MISSING


@dataclass(frozen=True)
class Champion:
    """The model currently in production: the version holding the alias (or, failing that, the stage)."""

    version: str
    run_id: str
    metric_value: float | None
    held_by: str  # "alias production" or "stage Production"


def find_champion(client: MlflowClient, model_name: str, *, alias: str, stage: str, metric: str) -> Champion | None:
    """The version in production: the alias holder, else (for registries promoted by stage) the stage holder."""
    found = (_alias_holder(client, model_name, alias) if alias else None) or (
        _stage_holder(client, model_name, stage) if stage else None
    )
    if found is None:
        return None
    version, held_by = found
    value = None
    if version.run_id:
        try:
            value = client.get_run(version.run_id).data.metrics.get(metric)
        except MlflowException as exc:
            if not _is_missing(exc):
                raise
    return Champion(str(version.version), version.run_id or "", value, held_by)


def _alias_holder(client: MlflowClient, model_name: str, alias: str) -> tuple[ModelVersion, str] | None:
    try:
        return client.get_model_version_by_alias(model_name, alias), f"alias {alias}"
    except MlflowException as exc:
        if not _is_missing(exc):
            raise
    return None


def _stage_holder(client: MlflowClient, model_name: str, stage: str) -> tuple[ModelVersion, str] | None:
    try:
        latest = _quietly(lambda: client.get_latest_versions(model_name, stages=[stage]))
    except MlflowException:
        latest = []  # no such model, or a registry without stages (Unity Catalog)
    return (latest[0], f"stage {stage}") if latest else None


@dataclass(frozen=True)
class Registration:
    version: str
    previous_version: str
    notes: tuple[str, ...] = ()


def _ensure_registered_model(client: MlflowClient, name: str) -> None:
    try:
        client.get_registered_model(name)
        return
    except MlflowException as exc:
        if not _is_missing(exc):
            raise
    try:
        client.create_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":  # another job created it meanwhile
            raise


def existing_version(client: MlflowClient, name: str, run_id: str) -> ModelVersion | None:
    """The version already registered from this run: re-runs reuse it instead of adding one.

    Filtering on run_id alone works on every registry (Unity Catalog takes one condition).
    """
    versions = [
        v
        for v in client.search_model_versions(f"run_id='{run_id}'")
        if v.name == name and v.status != "FAILED_REGISTRATION"
    ]
    return min(versions, key=lambda v: int(v.version)) if versions else None


def wait_until_ready(
    client: MlflowClient, name: str, version: str, timeout: float, sleep: Callable[[float], None] = time.sleep
) -> None:
    """Poll with doubling delays (0.5 s up to 5 s) until the version is READY."""
    deadline = time.monotonic() + timeout
    delay = 0.5
    while True:
        status = client.get_model_version(name, version).status
        if status == "READY":
            return
        if status == "FAILED_REGISTRATION":
            raise ServerError(f"version {version} of '{name}' failed to register: check the registry's logs")
        if time.monotonic() + delay > deadline:
            raise ServerError(
                f"version {version} of '{name}' was not READY after {timeout:g} s (status "
                f"{status}): the registry may still be copying artifacts; re-run the job"
            )
        sleep(delay)
        delay = min(delay * 2, 5.0)


def register(
    client: MlflowClient,
    name: str,
    *,
    run_id: str,
    model_uri: str,
    tags: Mapping[str, str],
    alias: str,
    stage: str,
    ready_timeout: float = 300.0,
) -> Registration:
    """Register the run's model once, then point the alias (and the legacy stage) at it."""
    _ensure_registered_model(client, name)
    found = existing_version(client, name, run_id)
    notes: list[str] = []
    if found is not None:
        version = str(found.version)
        notes.append(f"run {run_id} is already version {version} of '{name}': reused it")
    else:
        model_id = model_uri.removeprefix("models:/") if model_uri.startswith("models:/m-") else None
        created = client.create_model_version(
            name, model_uri, run_id=run_id, tags=dict(tags), await_creation_for=0, model_id=model_id
        )
        version = str(created.version)
    wait_until_ready(client, name, version, ready_timeout)
    previous = _point_alias(client, name, version, alias) if alias else ""
    if stage:
        notes.append(_move_stage(client, name, version, stage))
    return Registration(version, previous, tuple(notes))


def _point_alias(client: MlflowClient, name: str, version: str, alias: str) -> str:
    """Move the alias to `version`; return the version that held it before (kept on the version as a tag,
    so a re-run reports the same previous version)."""
    try:
        holder = str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException as exc:
        if not _is_missing(exc):
            raise
        holder = ""
    if holder == version:
        return client.get_model_version(name, version).tags.get(TAG_PREVIOUS_VERSION, "")
    client.set_model_version_tag(name, version, TAG_PREVIOUS_VERSION, holder)
    client.set_registered_model_alias(name, alias, version)
    return holder


def _move_stage(client: MlflowClient, name: str, version: str, stage: str) -> str:
    current = client.get_model_version(name, version).current_stage
    if current == stage:
        return f"version {version} is already in stage {stage}"
    try:
        _quietly(lambda: client.transition_model_version_stage(name, version, stage, archive_existing_versions=True))
    except MlflowException as exc:
        if "unsupported" in str(exc).lower() or "not supported" in str(exc).lower():
            return f"this registry has no stages (e.g. Unity Catalog): only the alias was set, not stage {stage}"
        raise
    return f"version {version} moved to stage {stage}; earlier {stage} versions archived"
