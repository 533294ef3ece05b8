"""A real `mlflow server --app-name basic-auth`: refused requests are one clear error, the password never shows."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from mlflow import MlflowClient

from tests.conftest import start_mlflow_server, stop
from tests.integration.test_error_contract import error_lines, on_github, run_cli

ADMIN_PASSWORD = "admin-pa55word-for-tests"
READER_PASSWORD = "reader-pa55word-for-tests"


# MLflow's shipped basic_auth.ini, with the credential cache on: without it every request pays a PBKDF2 hash.
AUTH_CONFIG = """\
[mlflow]
default_permission = READ
database_uri = sqlite:///basic_auth.db
admin_username = admin
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
auth_cache_ttl_seconds = 600
"""


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("auth-server")
    (root / "basic_auth.ini").write_text(AUTH_CONFIG)
    env = {
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-secret-key",
        "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "MLFLOW_AUTH_CONFIG_PATH": str(root / "basic_auth.ini"),
    }
    process, url = start_mlflow_server(root, ("--app-name", "basic-auth"), env)
    yield url
    stop(process)


@pytest.fixture(scope="module")
def seeded(auth_server: str) -> str:
    """An experiment with a run and model and the registered model `Guarded Model`, made by the admin; a user
    `reader` who may only read them (MLflow lets any user create a registered model of their own, so
    "read-only" is about a model someone else owns)."""
    from mlflow.server import get_app_client

    from tests.helpers.mlflow_runs import log_run

    saved = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")}
    os.environ.update(MLFLOW_TRACKING_USERNAME="admin", MLFLOW_TRACKING_PASSWORD=ADMIN_PASSWORD)
    try:
        get_app_client("basic-auth", tracking_uri=auth_server).create_user("reader", READER_PASSWORD)
        log_run(auth_server, "guarded", {"accuracy": 0.9})
        MlflowClient(auth_server).create_registered_model("Guarded Model")
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)
    return "guarded"


def args(server: str, experiment: str, *extra: str) -> list[str]:
    return [
        "ci",
        "--tracking-uri",
        server,
        "--experiment-name",
        experiment,
        "--metric",
        "accuracy",
        "--model-name",
        "Guarded Model",
        "--alias",
        "champion",
        *extra,
    ]


def test_no_credentials_is_refused_with_the_fix(tmp_path, auth_server, seeded, cli_subprocess_env):
    result = run_cli(args(auth_server, seeded), on_github(cli_subprocess_env, tmp_path))
    assert result.returncode == 3
    lines = error_lines(result.stdout)
    assert len(lines) == 1 and f"the MLflow server at {auth_server} refused the request" in lines[0]
    assert "MLFLOW_TRACKING_USERNAME" in lines[0] and "Traceback" not in result.stdout + result.stderr


def test_a_read_only_user_cannot_register_and_nothing_is_written(tmp_path, auth_server, seeded, cli_subprocess_env):
    env = {
        **on_github(cli_subprocess_env, tmp_path),
        "MLFLOW_TRACKING_USERNAME": "reader",
        "MLFLOW_TRACKING_PASSWORD": READER_PASSWORD,
    }
    result = run_cli(args(auth_server, seeded), env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert len(error_lines(result.stdout)) == 1 and "refused the request" in result.stdout
    assert (result.stdout + result.stderr).count(READER_PASSWORD) == 1  # only inside ::add-mask::
    admin = {"MLFLOW_TRACKING_USERNAME": "admin", "MLFLOW_TRACKING_PASSWORD": ADMIN_PASSWORD}
    os.environ.update(admin)
    try:
        guarded = MlflowClient(auth_server).get_registered_model("Guarded Model")
        assert (guarded.latest_versions, guarded.aliases) == ([], {})
        assert MlflowClient(auth_server).search_registered_models("name LIKE '%lock%'") == []  # the lock is gone
    finally:
        for key in admin:
            os.environ.pop(key)


def test_the_admin_registers(tmp_path, auth_server, seeded, cli_subprocess_env):
    env = {
        **on_github(cli_subprocess_env, tmp_path),
        "MLFLOW_TRACKING_USERNAME": "admin",
        "MLFLOW_TRACKING_PASSWORD": ADMIN_PASSWORD,
    }
    result = run_cli(args(auth_server, seeded, "--register", "always"), env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "model_version<<" in (tmp_path / "output.txt").read_text()
    assert ADMIN_PASSWORD not in (tmp_path / "output.txt").read_text() + (tmp_path / "summary.md").read_text()
