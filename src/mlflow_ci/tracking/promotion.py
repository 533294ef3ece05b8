"""Promotion and rollback as one serialized, re-checked transaction per registered model.

Under the model's lock (lock.py): read production again, run the gate again against it, find or create the
version (never twice for one run), wait until it is READY, move alias and stage together, append to the
ledger (ledger.py), release. A job that waited for the lock while another promoted something better fails
its re-run gate instead of overwriting it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.tracking._model_registry.client import ModelRegistryClient

from mlflow_ci.errors import InputError, ServerError
from mlflow_ci.tracking import ledger
from mlflow_ci.tracking.deadline import Deadline
from mlflow_ci.tracking.ledger import PROMOTE, ROLLBACK, Entry
from mlflow_ci.tracking.lock import RegistryLock
from mlflow_ci.tracking.registry import (
    READY,
    Champion,
    Production,
    champion_of,
    ensure_registered_model,
    find_or_create_version,
    move,
    read_production,
    registry_client,
    wait_until_ready,
)

WAITED = 0.2  # seconds of waiting for the lock worth a note: another job was promoting meanwhile


class Verdict(Protocol):
    @property
    def passed(self) -> bool: ...


V = TypeVar("V", bound=Verdict)


@dataclass(frozen=True)
class Mover:
    """Who moves production: for the lock's holder and the ledger's entries."""

    commit: str
    run_url: str
    holder: str  # shown to a job waiting for the lock: the workflow run's URL, else host and process


@dataclass(frozen=True)
class Target:
    """What production means for this model: the alias, the legacy stage, or both."""

    model_name: str
    alias: str
    stage: str

    @property
    def where(self) -> str:
        """'alias production and stage Production', or whichever of the two is set."""
        parts = [f"alias {self.alias}" if self.alias else "", f"stage {self.stage}" if self.stage else ""]
        return " and ".join(part for part in parts if part)


@dataclass(frozen=True)
class Candidate:
    """The run to register: its model, and the provenance tags its new version gets."""

    run_id: str
    model_uri: str
    version_tags: Mapping[str, str]


@dataclass(frozen=True)
class Outcome:
    """What the transaction did. `version` is empty when the re-run gate stopped it."""

    version: str
    previous: str
    moved: bool  # the alias or stage changed (a re-run of a promoted run moves nothing)
    champion: Champion | None  # production as read under the lock
    notes: tuple[str, ...]
    ledger: tuple[Entry, ...]  # after this move, oldest first


def _record(registry: ModelRegistryClient, name: str, entries: tuple[Entry, ...], entry: Entry) -> tuple[Entry, ...]:
    """Append `entry` to the ledger and tag the versions it names."""
    registry.set_registered_model_tag(name, ledger.TAG_LEDGER, ledger.appended(entries, entry))
    key, value = entry.version_tag()
    registry.set_model_version_tag(name, entry.version, key, value)
    if entry.previous:
        key, value = entry.previous_tag()
        registry.set_model_version_tag(name, entry.previous, key, value)
    return (*entries, entry)


def _in_place(production: Production, version: str, target: Target) -> bool:
    """Whether `version` already holds everything production means."""
    alias_ok = not target.alias or production.alias_holder == version
    stage_ok = not target.stage or (
        production.stage_holder is not None and str(production.stage_holder.version) == version
    )
    return alias_ok and stage_ok


def promote(
    client: MlflowClient,
    target: Target,
    candidate: Candidate,
    *,
    metric: str,
    judge: Callable[[Champion | None], V],
    deadline: Deadline,
    mover: Mover,
) -> tuple[Outcome, V]:
    """Register the run's model (once) and put it in production, if it beats production as read under the lock.

    `judge` is the gate as a function of production. Production is read once, after the lock is taken, so the
    gate that decides is the one that saw what it replaces: a job that waited while another promoted is judged
    against the new holder. Returns what happened and the verdict that decided it.
    """
    name, alias, stage = target.model_name, target.alias, target.stage
    run_id = candidate.run_id
    registry = registry_client(client)
    notes: list[str] = []
    with RegistryLock(registry, name, mover.holder, deadline) as lock:
        if lock.took_over_from:
            notes.append(f"took over the promotion lock from {lock.took_over_from}, whose time had run out")
        production = read_production(registry, name, alias=alias, stage=stage)
        champion = champion_of(client, registry, name, production, alias=alias, stage=stage, metric=metric)
        if lock.waited >= WAITED:
            holding = f"version {champion.version}" if champion else "nothing"
            notes.append(
                f"waited {lock.waited:.1f} s for the promotion lock; gated against production as it was then "
                f"({holding})"
            )
        verdict = judge(champion)
        entries = tuple(ledger.read(production.tags))
        if not verdict.passed:
            return Outcome("", "", False, champion, tuple(notes), entries), verdict
        deadline.check()
        if not production.exists:
            ensure_registered_model(client, name)
        registered = find_or_create_version(
            client, name, run_id=run_id, model_uri=candidate.model_uri, tags=candidate.version_tags, deadline=deadline
        )
        version = str(registered.version.version)
        if registered.reused:
            notes.append(f"run {run_id} is already version {version} of '{name}': reused it")
        wait_until_ready(client, name, registered.version, deadline)
        # Here the version is known, READY and about to go into production: the one place to record on it
        # what the gate decided.
        deadline.check()
        if _in_place(production, version, target):
            previous = ledger.previous_when_reused(entries, alias, stage, version)
            notes.append(f"version {version} already holds {target.where}")
            return Outcome(version, previous, False, champion, tuple(notes), entries), verdict
        previous = production.holder
        notes.extend(move(registry, name, version, alias=alias, stage=stage, production=production))
        entry = Entry(PROMOTE, alias, stage, version, previous, ledger.now(), mover.commit, mover.run_url)
        entries = _record(registry, name, entries, entry)
    return Outcome(version, previous, True, champion, tuple(notes), entries), verdict


def _rollback_target(production: Production, target: Target, to_version: str) -> tuple[str, str]:
    """(the version to put back, the version in production now)."""
    name = target.model_name
    if not production.exists:
        raise InputError("model-name", f"'{name}' is not a registered model here", "check the name and registry-uri")
    current = production.holder
    if not current:
        raise InputError(
            "alias" if target.alias else "stage",
            f"names {target.where} of '{name}', which no version holds",
            "promote a version first; rollback moves production back, it does not start it",
        )
    wanted = to_version or ledger.previous_of(ledger.read(production.tags), target.alias, target.stage, current)
    if not wanted:
        raise InputError(
            "to-version",
            f"is empty and the ledger on '{name}' does not say which version held {target.where} before version "
            f"{current}",
            "name the version to roll back to",
        )
    return wanted, current


def rollback(
    client: MlflowClient,
    target: Target,
    *,
    to_version: str,
    deadline: Deadline,
    mover: Mover,
    check_files: Callable[[MlflowClient, str, str], object],
) -> Outcome:
    """Put `to_version` (default: what held production before the current holder was promoted) back in
    production, under the same lock as promotions. The target must exist, be READY and have its files."""
    name, alias, stage = target.model_name, target.alias, target.stage
    registry = registry_client(client)
    before = read_production(registry, name, alias=alias, stage=stage)
    wanted, current = _rollback_target(before, target, to_version)
    try:
        version = client.get_model_version(name, wanted)
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE"):
            raise
        raise InputError(
            "to-version", f"names version {wanted} of '{name}', which does not exist", "pick an existing version"
        ) from None
    if version.status != READY:
        raise ServerError(f"version {wanted} of '{name}' is {version.status}, not READY: it cannot go into production")
    check_files(client, f"models:/{name}/{wanted}", f"version {wanted} of '{name}'")
    notes: list[str] = []
    with RegistryLock(registry, name, mover.holder, deadline) as lock:
        if lock.took_over_from:
            notes.append(f"took over the promotion lock from {lock.took_over_from}, whose time had run out")
        production = read_production(registry, name, alias=alias, stage=stage)
        if _rollback_target(production, target, to_version) != (wanted, current):
            raise ServerError(
                f"production of '{name}' moved while this job waited for the lock (now version "
                f"{production.holder}): re-run the rollback"
            )
        entries = tuple(ledger.read(production.tags))
        if _in_place(production, wanted, target):
            notes.append(f"version {wanted} already holds {target.where}: nothing to roll back")
            return Outcome(wanted, "", False, None, tuple(notes), entries)
        deadline.check()
        notes.extend(move(registry, name, wanted, alias=alias, stage=stage, production=production))
        entry = Entry(ROLLBACK, alias, stage, wanted, current, ledger.now(), mover.commit, mover.run_url)
        entries = _record(registry, name, entries, entry)
    return Outcome(wanted, current, True, None, tuple(notes), entries)
