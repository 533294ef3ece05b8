"""The model registry: who is in production (read fail-closed), registration that never duplicates a version,
the READY wait, and moving alias and stage together. promotion.py puts these together under the lock."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from mlflow import MlflowClient
from mlflow import environment_variables as mlflow_env
from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.exceptions import MlflowException
from mlflow.prompt.registry_utils import has_prompt_tag
from mlflow.tracking._model_registry.client import ModelRegistryClient

from mlflow_ci.errors import InputError, ServerError
from mlflow_ci.tracking.backoff import delays
from mlflow_ci.tracking.deadline import Deadline
from mlflow_ci.tracking.registry_kind import is_missing

T = TypeVar("T")
READY = "READY"
FAILED = "FAILED_REGISTRATION"


def _quietly(call: Callable[[], T]) -> T:
    """Stage APIs warn that stages are deprecated; the user chose them, so keep the log clean."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return call()


def registry_client(client: MlflowClient) -> ModelRegistryClient:
    """MLflow's registry client under MlflowClient: the same calls without the prompt check MlflowClient
    makes (a get_registered_model) before each write. production() makes that check once, from the read
    the transaction needs anyway."""
    return client._get_registry_client()


@dataclass(frozen=True)
class Champion:
    """The model currently in production: the version holding the alias (or, failing that, the stage)."""

    version: str
    run_id: str
    metric_value: float | None
    held_by: str  # "alias production" or "stage Production"


@dataclass(frozen=True)
class Production:
    """One read of the registered model: who holds the alias and the stage, and its tags (the ledger)."""

    exists: bool
    alias_holder: str = ""
    stage_holder: ModelVersion | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    versions: Mapping[str, ModelVersion] = field(default_factory=dict)  # the latest per stage, by version

    @property
    def holder(self) -> str:
        """The version in production: the alias holder, else the stage holder."""
        if self.alias_holder:
            return self.alias_holder
        return str(self.stage_holder.version) if self.stage_holder is not None else ""


def read_production(registry: ModelRegistryClient, name: str, *, alias: str, stage: str) -> Production:
    """Fail closed: only "no such registered model" means nothing is in production; any other error (a
    blip, a 500, a timeout) propagates and fails the step as a server error."""
    try:
        model: RegisteredModel = registry.get_registered_model(name)
    except MlflowException as exc:
        if is_missing(exc):
            return Production(False)
        raise
    if has_prompt_tag(model._tags):
        raise InputError("model-name", f"'{name}' is an MLflow prompt, not a model", "name a registered model")
    latest = {str(v.version): v for v in model.latest_versions or []}
    stage_holder = next((v for v in latest.values() if stage and v.current_stage == stage), None)
    alias_holder = str((model.aliases or {}).get(alias, "")) if alias else ""
    return Production(True, alias_holder, stage_holder, dict(model.tags), latest)


def champion_of(
    client: MlflowClient,
    registry: ModelRegistryClient,
    name: str,
    production: Production,
    *,
    alias: str,
    stage: str,
    metric: str,
) -> Champion | None:
    """The holder's version (from the read's latest versions when it is there) and its run's metric."""
    holder = production.holder
    if not holder:
        return None
    held_by = f"alias {alias}" if production.alias_holder else f"stage {stage}"
    version = production.versions.get(holder) or registry.get_model_version(name, holder)
    value = None
    if version.run_id:
        try:
            value = client.get_run(version.run_id).data.metrics.get(metric)
        except MlflowException as exc:
            if not is_missing(exc):  # a deleted run is a champion without a metric; a blip is an error
                raise
    return Champion(holder, version.run_id or "", value, held_by)


def find_champion(client: MlflowClient, model_name: str, *, alias: str, stage: str, metric: str) -> Champion | None:
    """The version in production (fail-closed), for the gate."""
    registry = registry_client(client)
    production = read_production(registry, model_name, alias=alias, stage=stage)
    return champion_of(client, registry, model_name, production, alias=alias, stage=stage, metric=metric)


def ensure_registered_model(registry: ModelRegistryClient, name: str) -> None:
    """Create it, or find it made already (by an earlier job, or by MLflow retrying our create)."""
    try:
        registry.create_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise


def existing_version(client: MlflowClient, name: str, run_id: str) -> ModelVersion | None:
    """The version already registered from this run: re-runs reuse it instead of adding one.

    Filtering on run_id alone works on every registry (Unity Catalog takes one condition).
    """
    versions = [v for v in client.search_model_versions(f"run_id='{run_id}'") if v.name == name and v.status != FAILED]
    return min(versions, key=lambda v: int(v.version)) if versions else None


@contextmanager
def _no_retries() -> Iterator[None]:
    """MLflow's client retries POSTs after a lost answer, which would register a run twice: for the create,
    no retry (MLflow reads MLFLOW_HTTP_REQUEST_MAX_RETRIES per request)."""
    name = mlflow_env.MLFLOW_HTTP_REQUEST_MAX_RETRIES.name
    saved = os.environ.get(name)
    os.environ[name] = "0"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


@dataclass(frozen=True)
class Registered:
    version: ModelVersion
    reused: bool


def find_or_create_version(
    client: MlflowClient, name: str, *, run_id: str, model_uri: str, tags: Mapping[str, str], deadline: Deadline
) -> Registered:
    """The run's version: the one it already has, else a new one. A create that fails or goes unanswered is
    never repeated blindly: the run is looked up again first, and the create tried once more only if the
    server has no version of it."""
    found = existing_version(client, name, run_id)
    if found is not None:
        return Registered(found, True)
    model_id = model_uri.removeprefix("models:/") if model_uri.startswith("models:/m-") else None
    for attempt in (1, 2):
        deadline.check()
        try:
            with _no_retries():
                # MlflowClient's create: it adapts the source for Databricks registries.
                created = client.create_model_version(
                    name, model_uri, run_id=run_id, tags=dict(tags), await_creation_for=0, model_id=model_id
                )
            return Registered(created, False)
        except MlflowException:
            found = existing_version(client, name, run_id)
            if found is not None:
                return Registered(found, False)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def wait_until_ready(
    client: MlflowClient,
    name: str,
    version: ModelVersion,
    deadline: Deadline,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Ask at once, then back off from 0.25 s to 1.5 s, until the version is READY or the deadline is near."""
    status = version.status
    pauses = delays()
    while status != READY:
        if status == FAILED:
            raise ServerError(f"version {version.version} of '{name}' failed to register: check the registry's logs")
        pause = next(pauses)
        if deadline.remaining() < pause:
            raise ServerError(
                f"version {version.version} of '{name}' was not READY within the step's deadline (status "
                f"{status}): the registry may still be copying files; re-run the job, or allow more time "
                "with server-timeout"
            )
        sleep(pause)
        status = client.get_model_version(name, str(version.version)).status


def move(
    registry: ModelRegistryClient, name: str, version: str, *, alias: str, stage: str, production: Production
) -> tuple[str, ...]:
    """Point the alias and the stage at `version` together (archiving the stage's earlier holders); skip
    what already points there. Returns notes for the log."""
    notes = []
    if alias and production.alias_holder != version:
        registry.set_registered_model_alias(name, alias, version)
    if stage:
        held = production.stage_holder is not None and str(production.stage_holder.version) == version
        if held:
            notes.append(f"version {version} is already in stage {stage}")
        else:
            try:
                _quietly(
                    lambda: registry.transition_model_version_stage(
                        name, version, stage, archive_existing_versions=True
                    )
                )
                notes.append(f"version {version} moved to stage {stage}; earlier {stage} versions archived")
            except MlflowException as exc:
                text = str(exc).lower()
                if "unsupported" not in text and "not supported" not in text:
                    raise
                notes.append(
                    f"this registry has no stages (e.g. Unity Catalog): only the alias was set, not stage {stage}"
                )
    return tuple(notes)
