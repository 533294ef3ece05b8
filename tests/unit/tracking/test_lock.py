"""The promotion lock on the embedded sqlite registry: exclusive, taken over only after its expiry, by one
waiter, and a create MLflow retried after a lost answer is recognised as this job's own."""

from __future__ import annotations

import time

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import PERMISSION_DENIED, RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST

from mlflow_ci.tracking.deadline import Deadline
from mlflow_ci.tracking.lock import TAG_EXPIRES, TAG_HOLDER, TAG_OWNER, LockBusy, LockRefused, RegistryLock, lock_name


@pytest.fixture
def client(tmp_path):
    return MlflowClient(f"sqlite:///{tmp_path}/registry.db")


def _names(client):
    return sorted(m.name for m in client.search_registered_models())


def _lock(client, holder="job A", seconds=30.0, **options):
    return RegistryLock(client, "News Model", holder, Deadline(seconds, "sqlite"), **options)


def test_the_lock_is_a_registered_model_with_owner_and_expiry_until_released(client):
    lock = _lock(client)
    with lock:
        tags = client.get_registered_model(lock_name("News Model")).tags
        assert tags[TAG_OWNER] == lock.token and tags[TAG_HOLDER] == "job A"
        assert time.time() + 25 < float(tags[TAG_EXPIRES]) < time.time() + 35
    assert _names(client) == []


def test_a_second_job_waits_and_gives_up_at_its_deadline_naming_the_holder(client):
    with _lock(client, "https://github.com/o/r/actions/runs/1"):
        started = time.monotonic()
        with pytest.raises(LockBusy, match=r"held by https://github\.com/o/r/actions/runs/1"):
            _lock(client, "job B", seconds=2.0).acquire()
        assert time.monotonic() - started < 2.0


def test_an_expired_lock_is_taken_over_by_exactly_one_waiter(client):
    dead = _lock(client, "dead job", seconds=1.0)
    dead.acquire()  # and never releases
    later = lambda: time.time() + 60  # noqa: E731 - the waiters' clock, past the dead job's expiry
    first = _lock(client, "job B", clock=later)
    second = _lock(client, "job C", clock=later)
    stale = first._read()
    assert stale is not None and stale.owner == dead.token
    assert first._take_over(stale, "b" * 32) is True
    assert second._take_over(stale, "c" * 32) is False  # the marker for that dead owner exists
    assert client.get_registered_model(lock_name("News Model")).tags[TAG_OWNER] == "b" * 32
    first.token = "b" * 32
    first.release()
    assert _names(client) == []


def test_acquire_takes_over_after_expiry_and_says_from_whom(client):
    _lock(client, "dead job", seconds=0.5).acquire()
    successor = _lock(client, "job B", clock=lambda: time.time() + 60)
    with successor:
        assert successor.took_over_from == "dead job"
    assert _names(client) == []


class RetriedCreate:
    """A double of MLflow's client retrying a create whose answer was lost: the create happens, then the
    retry is refused with RESOURCE_ALREADY_EXISTS."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def create_registered_model(self, name, tags=None):
        self.client.create_registered_model(name, tags=tags)
        raise MlflowException("already exists", error_code=RESOURCE_ALREADY_EXISTS)


def test_a_create_retried_after_a_lost_answer_is_recognised_as_our_own(client):
    lock = RegistryLock(RetriedCreate(client), "News Model", "job A", Deadline(5.0, "sqlite"))
    started = time.monotonic()
    with lock:
        assert time.monotonic() - started < 1.0
    assert _names(client) == []


class Forbidden:
    def __getattr__(self, name):
        raise AssertionError(name)

    def create_registered_model(self, name, tags=None):
        raise MlflowException("User lacks CREATE MODEL on schema", error_code=PERMISSION_DENIED)


def test_a_registry_that_refuses_the_lock_stops_the_promotion_with_the_permission_named():
    with pytest.raises(LockRefused, match="CREATE MODEL"):
        RegistryLock(Forbidden(), "main.ml.news", "job A", Deadline(5.0, "databricks-uc")).acquire()


def test_no_release_after_the_deadline(client):
    lock = _lock(client, seconds=0.3)
    lock.acquire()
    time.sleep(0.4)
    lock.release()  # another job may own it by now: leave it to expire
    assert _names(client) == [lock_name("News Model")]


class ReleasedDuringCreate:
    """A double of the race found with eight real jobs: MLflow's SQL store answers a create that hit an
    existing name by reading that model, and when its holder deleted it in between, the create answers
    RESOURCE_DOES_NOT_EXIST."""

    def __init__(self, client):
        self.client, self.raised = client, False

    def __getattr__(self, name):
        return getattr(self.client, name)

    def create_registered_model(self, name, tags=None):
        if not self.raised:
            self.raised = True
            raise MlflowException("Registered Model not found", error_code=RESOURCE_DOES_NOT_EXIST)
        return self.client.create_registered_model(name, tags=tags)


def test_a_create_that_lost_a_race_with_a_release_tries_again(client):
    registry = ReleasedDuringCreate(client)
    with RegistryLock(registry, "News Model", "job A", Deadline(5.0, "sqlite")):
        assert registry.raised and _names(client) == [lock_name("News Model")]
    assert _names(client) == []
