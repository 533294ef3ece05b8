"""A promotion lock per registered model, held in the registry itself.

MLflow has no compare-and-set on aliases, but creating a registered model is atomic: a second create of
the same name answers RESOURCE_ALREADY_EXISTS (on SQL stores through the table's unique key), and the
tags given to the create are written in the same transaction. So the lock is a registered model named
after the model it guards, created with its owner and expiry as tags and deleted on release.

A holder that dies leaves its lock behind until the expiry it wrote, which is its own step deadline plus
a margin: a live holder has stopped writing by then (see deadline.py). A waiter that finds an expired
lock takes it over through a second atomic create, of a marker named after the dead owner, so that of
several waiters exactly one takes over each dead owner's lock; the winner then rewrites the owner and
expiry tags (expiry first, so nobody reads the new owner with the old expiry).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from mlflow.exceptions import MlflowException

from mlflow_ci.errors import ServerError
from mlflow_ci.tracking.backoff import delays
from mlflow_ci.tracking.deadline import Deadline
from mlflow_ci.tracking.registry_kind import is_missing

# Letters, digits and underscores only: also a valid name in a Unity Catalog schema.
LOCK_SUFFIX = "_mlflow_ci_lock"
TAKEOVER_INFIX = "_takeover_"
TAG_OWNER = "mlflow_ci.lock.owner"
TAG_EXPIRES = "mlflow_ci.lock.expires"  # seconds since the epoch
TAG_HOLDER = "mlflow_ci.lock.holder"  # who holds it, for the message a waiter prints
MARGIN = 2.0  # seconds between a holder's deadline and its lock's expiry

_EXISTS = "RESOURCE_ALREADY_EXISTS"


class Registry(Protocol):
    """The calls the lock makes: MlflowClient's, or MLflow's registry client without its prompt checks."""

    def create_registered_model(self, name: str, tags: Mapping[str, str] | None = ...) -> Any: ...
    def get_registered_model(self, name: str) -> Any: ...
    def set_registered_model_tag(self, name: str, key: str, value: str) -> Any: ...
    def delete_registered_model(self, name: str) -> Any: ...


class LockBusy(ServerError):
    """Another job held the lock for longer than this step may wait."""

    title = "promotion lock"


class LockRefused(ServerError):
    """The registry would not let this job create the lock (permissions, or a registry that forbids it)."""

    title = "promotion lock"


def lock_name(model_name: str) -> str:
    return f"{model_name}{LOCK_SUFFIX}"


@dataclass(frozen=True)
class LockState:
    owner: str
    expires: float
    holder: str

    def expired(self, now: float) -> bool:
        return self.expires < now

    def describe(self) -> str:
        until = datetime.fromtimestamp(self.expires, UTC).strftime("%H:%M:%S UTC")
        return f"{self.holder or 'another job'} (until {until})"


def _state(tags: Mapping[str, str]) -> LockState:
    try:
        expires = float(tags.get(TAG_EXPIRES, "0"))
    except ValueError:
        expires = 0.0  # unreadable: treat as expired, so a broken lock cannot block promotion for ever
    return LockState(tags.get(TAG_OWNER, ""), expires, tags.get(TAG_HOLDER, ""))


def _code(exc: MlflowException) -> str:
    return exc.error_code or ""


class RegistryLock:
    """`with RegistryLock(registry, name, holder, deadline) as lock:` holds the promotion lock of `name`."""

    def __init__(
        self,
        registry: Registry,
        model_name: str,
        holder: str,
        deadline: Deadline,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = registry
        self.model_name = model_name
        self.name = lock_name(model_name)
        self.holder = holder
        self.deadline = deadline
        self._sleep = sleep
        self._clock = clock
        self.token = ""
        self.waited = 0.0
        self.took_over_from = ""  # the holder whose expired lock this job took over
        self._marker = ""

    def __enter__(self) -> RegistryLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _tags(self, token: str) -> dict[str, str]:
        return {TAG_OWNER: token, TAG_EXPIRES: f"{self.deadline.ends_at() + MARGIN:.3f}", TAG_HOLDER: self.holder}

    def _read(self) -> LockState | None:
        try:
            return _state(self.registry.get_registered_model(self.name).tags)
        except MlflowException as exc:
            if is_missing(exc):
                return None  # released between our create and this read
            raise

    def acquire(self) -> None:
        token = uuid.uuid4().hex
        started = time.monotonic()
        pauses: Iterator[float] = delays()
        while True:
            self.deadline.check()
            try:
                self.registry.create_registered_model(self.name, tags=self._tags(token))
                break
            except MlflowException as exc:
                if is_missing(exc):
                    # MLflow's SQL store answers a create that hit an existing name by reading that model; when
                    # its holder deleted it in between, the create says "does not exist": the lock is free.
                    continue
                if _code(exc) != _EXISTS:
                    self._refused(exc)
            state = self._read()
            if state is None:
                continue
            if state.owner == token:  # MLflow retried our create after a lost answer: the lock is ours
                break
            if state.expired(self._clock()) and self._take_over(state, token):
                break
            pause = next(pauses)
            if self.deadline.remaining() < pause + 1.0:
                raise LockBusy(
                    f"the promotion lock on '{self.model_name}' (registered model '{self.name}') is held by "
                    f"{state.describe()}: this job waited {time.monotonic() - started:.1f} s; re-run it, or "
                    "allow more time with server-timeout"
                )
            self._sleep(pause)
        self.token = token
        self.waited = time.monotonic() - started

    def _refused(self, exc: MlflowException) -> None:
        code = _code(exc)
        if code in ("PERMISSION_DENIED", "UNAUTHENTICATED") or "403" in exc.message:
            raise LockRefused(
                f"cannot create the promotion lock '{self.name}' next to '{self.model_name}' ({code}): the "
                "identity promoting needs the right to create and delete registered models there (on Unity "
                "Catalog: CREATE MODEL and USE SCHEMA on the schema); nothing was promoted"
            ) from None
        raise exc

    def _take_over(self, stale: LockState, token: str) -> bool:
        """Take over an expired lock; False when another waiter won, or its holder let it go meanwhile."""
        marker = f"{self.name}{TAKEOVER_INFIX}{stale.owner[:16] or 'unowned'}"
        try:
            self.registry.create_registered_model(marker, tags={TAG_OWNER: token})
        except MlflowException as exc:
            if _code(exc) == _EXISTS:
                return False
            raise
        current = self._read()
        if current is None or current.owner != stale.owner:
            self._delete(marker)
            return False
        tags = self._tags(token)
        try:
            for key in (TAG_EXPIRES, TAG_HOLDER, TAG_OWNER):  # expiry first: see the module's docstring
                self.registry.set_registered_model_tag(self.name, key, tags[key])
        except MlflowException as exc:
            if not is_missing(exc):
                raise
            self._delete(marker)  # its late holder released it after all: start over
            return False
        self._marker = marker
        self.took_over_from = stale.holder or "a job"
        return True

    def _delete(self, name: str) -> None:
        try:
            self.registry.delete_registered_model(name)
        except MlflowException as exc:
            if not is_missing(exc):
                raise

    def release(self) -> None:
        """Delete the lock; after the deadline, leave it to expire (another job may own it by then)."""
        if not self.token or self.deadline.expired:
            return
        self._delete(self.name)
        if self._marker:
            self._delete(self._marker)
        self.token = ""
