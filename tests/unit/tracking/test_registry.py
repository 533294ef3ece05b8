"""The READY wait. An OSS registry creates versions READY at once, so a pending version (as on Databricks
or Unity Catalog, where artifacts are copied first) cannot be produced here: `PendingRegistry` is a double
of MlflowClient.get_model_version, named as such, that reports PENDING a given number of times."""

from types import SimpleNamespace

import pytest

from mlflow_ci.errors import ServerError
from mlflow_ci.tracking.registry import wait_until_ready


class PendingRegistry:
    """Double: get_model_version answers PENDING_REGISTRATION `pending` times, then `final`."""

    def __init__(self, pending: int, final: str = "READY") -> None:
        self.pending, self.final, self.calls = pending, final, 0

    def get_model_version(self, name: str, version: str) -> SimpleNamespace:
        self.calls += 1
        status = "PENDING_REGISTRATION" if self.calls <= self.pending else self.final
        return SimpleNamespace(status=status)


def test_waits_with_doubling_delays_capped_at_five_seconds():
    registry, slept = PendingRegistry(pending=6), []
    wait_until_ready(registry, "m", "1", timeout=300, sleep=slept.append)
    assert slept == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert registry.calls == 7


def test_ready_at_once_does_not_sleep():
    slept: list[float] = []
    wait_until_ready(PendingRegistry(pending=0), "m", "1", timeout=300, sleep=slept.append)
    assert slept == []


def test_failed_registration_is_a_server_error():
    with pytest.raises(ServerError, match="version 1 of 'm' failed to register"):
        wait_until_ready(PendingRegistry(pending=1, final="FAILED_REGISTRATION"), "m", "1", 300, sleep=lambda s: None)


def test_gives_up_at_the_timeout_with_the_status():
    with pytest.raises(ServerError, match=r"was not READY after 2 s \(status PENDING_REGISTRATION\)"):
        wait_until_ready(PendingRegistry(pending=10**6), "m", "1", timeout=2, sleep=lambda s: None)
