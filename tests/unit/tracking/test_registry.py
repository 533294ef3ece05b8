"""The READY wait. An OSS registry creates versions READY at once, so a pending version (as on Databricks
or Unity Catalog, where artifacts are copied first) cannot be produced here: `PendingRegistry` is a double
of MlflowClient.get_model_version, named as such, that reports PENDING a given number of times."""

from types import SimpleNamespace

import pytest

from mlflow_ci.errors import ServerError
from mlflow_ci.tracking.deadline import Deadline
from mlflow_ci.tracking.registry import wait_until_ready

PENDING = SimpleNamespace(version="1", status="PENDING_REGISTRATION")


class PendingRegistry:
    """Double: get_model_version answers PENDING_REGISTRATION `pending` times, then `final`."""

    def __init__(self, pending: int, final: str = "READY") -> None:
        self.pending, self.final, self.calls = pending, final, 0

    def get_model_version(self, name: str, version: str) -> SimpleNamespace:
        self.calls += 1
        status = "PENDING_REGISTRATION" if self.calls <= self.pending else self.final
        return SimpleNamespace(version=version, status=status)


def test_asks_again_at_once_then_backs_off_to_a_cap():
    registry, slept = PendingRegistry(pending=6), []
    wait_until_ready(registry, "m", PENDING, Deadline(300, "server"), sleep=slept.append)
    assert [round(s, 3) for s in slept] == [0.25, 0.375, 0.562, 0.844, 1.266, 1.5, 1.5]
    assert registry.calls == 7


def test_a_version_created_ready_is_not_asked_about():
    registry, slept = PendingRegistry(pending=0), []
    wait_until_ready(
        registry, "m", SimpleNamespace(version="1", status="READY"), Deadline(300, "s"), sleep=slept.append
    )
    assert slept == [] and registry.calls == 0


def test_failed_registration_is_a_server_error():
    with pytest.raises(ServerError, match="version 1 of 'm' failed to register"):
        wait_until_ready(
            PendingRegistry(pending=1, final="FAILED_REGISTRATION"), "m", PENDING, Deadline(300, "s"), sleep=lambda s: 0
        )


def test_gives_up_before_the_deadline_with_the_status():
    with pytest.raises(ServerError, match=r"not READY within the step's deadline \(status PENDING_REGISTRATION\)"):
        wait_until_ready(PendingRegistry(pending=10**6), "m", PENDING, Deadline(0.5, "s"), sleep=lambda s: None)
