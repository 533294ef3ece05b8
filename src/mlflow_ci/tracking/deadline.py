"""One bound on a step's whole conversation with the MLflow server.

MLflow bounds each request (MLFLOW_HTTP_REQUEST_TIMEOUT) and retries it, so a server that accepts
connections and never answers, or that hangs half-way through a step, can hold a step for minutes. The
deadline bounds all of it: a timer interrupts whatever request is waiting when the time is up, and every
registry write checks it first. The promotion lock's expiry is this deadline (plus a margin), so a lock's
holder never writes after another job may have taken the lock over.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from mlflow_ci.errors import CIError, ServerError

DEFAULT_SECONDS = 30.0
MLFLOW_TIMEOUT_VARIABLE = "MLFLOW_HTTP_REQUEST_TIMEOUT"


class DeadlineExceeded(ServerError):
    """The server did not finish answering within the step's deadline."""


def seconds_for(setting: float | None, environ: Mapping[str, str]) -> float:
    """The input's value (default 30 s), raised to MLflow's own per-request timeout when that is larger:
    a user who lets one request take 120 s means a step may take at least as long."""
    seconds = DEFAULT_SECONDS if setting is None else setting
    try:
        per_request = float(environ.get(MLFLOW_TIMEOUT_VARIABLE, "") or 0)
    except ValueError:
        per_request = 0.0
    return max(seconds, per_request)


@dataclass
class Deadline:
    seconds: float
    server: str  # the URI as shown to the user (no credentials)
    started: float = field(default_factory=time.monotonic)
    fired: bool = False

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    @property
    def expired(self) -> bool:
        return self.fired or self.remaining() <= 0

    def ends_at(self) -> float:
        """The deadline as wall-clock time (seconds since the epoch), for other jobs to read."""
        return time.time() + max(self.remaining(), 0.0)

    def error(self) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"the MLflow server at {self.server} did not finish answering within {self.seconds:g} s: check that "
            "it is up and not overloaded, or allow more time with the input server-timeout (or "
            f"{MLFLOW_TIMEOUT_VARIABLE})"
        )

    def check(self) -> None:
        """Before a registry write: never write after the deadline."""
        if self.expired:
            raise self.error()

    @contextmanager
    def enforced(self) -> Iterator[None]:
        """Interrupt whatever is waiting when the time is up (a SIGALRM timer on the main thread; elsewhere
        the checks before each write are the bound)."""
        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
            yield
            return

        def on_alarm(*_: object) -> None:  # (signal number, frame)
            self.fired = True
            raise self.error()

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(self.remaining(), 0.001))
        try:
            yield
        except CIError:
            if self.fired:
                raise self.error() from None
            raise
        except Exception:
            # MLflow wraps whatever interrupted a request in its own exception: say what happened instead.
            if self.fired:
                raise self.error() from None
            raise
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
