from __future__ import annotations

import socket
import time

import pytest

from mlflow_ci.tracking.backoff import delays
from mlflow_ci.tracking.deadline import Deadline, DeadlineExceeded, seconds_for


def test_the_deadline_is_30_s_unless_the_input_or_mlflows_timeout_raises_it():
    assert seconds_for(None, {}) == 30
    assert seconds_for(45, {}) == 45
    assert seconds_for(None, {"MLFLOW_HTTP_REQUEST_TIMEOUT": "120"}) == 120
    assert seconds_for(None, {"MLFLOW_HTTP_REQUEST_TIMEOUT": "8"}) == 30
    assert seconds_for(None, {"MLFLOW_HTTP_REQUEST_TIMEOUT": "soon"}) == 30


def test_a_read_that_never_returns_is_interrupted_at_the_deadline():
    with socket.create_server(("127.0.0.1", 0)) as server:
        silent = socket.create_connection(server.getsockname())
        deadline = Deadline(0.5, "http://127.0.0.1")
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match=r"within 0\.5 s"), deadline.enforced():
            silent.recv(1)  # the server accepted and never answers
        silent.close()
    assert time.monotonic() - started < 1.5
    with pytest.raises(DeadlineExceeded):
        deadline.check()


def test_whatever_wraps_the_interruption_the_step_reports_the_deadline():
    deadline = Deadline(0.2, "http://server")

    def wrapped_by_a_library():
        try:
            time.sleep(5)
        except Exception as exc:  # as MLflow's http_request does
            raise RuntimeError(f"API request failed with exception {exc}") from None

    with pytest.raises(DeadlineExceeded), deadline.enforced():
        wrapped_by_a_library()


def test_polling_asks_at_once_then_backs_off_to_a_cap():
    pauses = delays()
    first = [round(next(pauses), 3) for _ in range(7)]
    assert first == [0.25, 0.375, 0.562, 0.844, 1.266, 1.5, 1.5]
    assert 2.0 < sum(first[:4]) < 2.1  # a version READY after 2 s is seen on the fifth look, at 2.03 s
