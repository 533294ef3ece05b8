"""The tracking URI checked before any client exists: a scheme MLflow tracks to, a host, a store that exists."""

from __future__ import annotations

import pytest

from mlflow_ci.errors import InputError
from mlflow_ci.tracking.client import check_tracking_uri, local_store


@pytest.mark.parametrize(
    "uri,words",
    [
        ("htp://127.0.0.1:5000", ["scheme 'htp'", "did you mean http?"]),
        ("http://[::1", ["not a valid URI", "Invalid IPv6 URL"]),
        ("http://127.0.0.1:99999", ["not a valid URI"]),
        ("https://", ["names no host"]),
        ("http://bot:s3cret@[::1", ["'http://[::1'"]),  # credentials stripped even when it cannot be parsed
    ],
)
def test_uris_mlflow_cannot_use(uri, words):
    with pytest.raises(InputError) as raised:
        check_tracking_uri(uri, creates_store=False)
    assert raised.value.input_name == "tracking-uri"
    assert all(word in str(raised.value) for word in words), str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_a_missing_local_store_is_an_error_unless_the_command_trains(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=f"does not exist: {tmp_path / 'mlflow.db'}"):
        check_tracking_uri("sqlite:///mlflow.db", creates_store=False)
    check_tracking_uri("sqlite:///mlflow.db", creates_store=True)  # training may create it here
    with pytest.raises(InputError, match=f"folder that does not exist: {tmp_path / 'no' / 'dir'}"):
        check_tracking_uri("sqlite:///no/dir/x.db", creates_store=True)
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "mlflow.db").write_bytes(b"")
    check_tracking_uri("sqlite:///mlflow.db", creates_store=False)


@pytest.mark.parametrize(
    "uri,path",
    [
        ("sqlite:///rel/x.db", "rel/x.db"),
        ("sqlite:////abs/x.db", "/abs/x.db"),
        ("sqlite://", None),
        ("file:./mlruns", "mlruns"),
        ("./mlruns", "mlruns"),
        ("http://host:5000", None),
        ("databricks", None),
        ("databricks://profile", None),
    ],
)
def test_local_store_paths(tmp_path, monkeypatch, uri, path):
    monkeypatch.chdir(tmp_path)
    assert local_store(uri) == (None if path is None else tmp_path / path)
