"""scripts/action-venv.sh, the composite action's set-up step, run for real with small hash-pinned locks.

Each test copies the script into an action directory of its own whose requirements/runtime.txt pins one
small package (six) by hash, so an install takes seconds; uv and pip fetch it from the package index as on
a runner. What is checked: the venv is built with `uv pip install --require-hashes` (or pip when asked, or
when uv fails), reused only when its completion marker matches the lock and what is installed, and never
built from a file whose hash the lock does not list.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

SIX = """six==1.17.0 \\
    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274 \\
    --hash=sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81
"""
INICONFIG = """iniconfig==2.1.0 \\
    --hash=sha256:3abbd2e30b36733fee78f9c7f7308f2d0050e88f0087fd25c2645f63c773e1c7 \\
    --hash=sha256:9deba5723312380e77435581c6bf4935c94cbfab9b1ed33ef8d238ea168eb760
"""
# A sha256 that no file of six has: what a lock looks like when the index serves something else.
WRONG_HASH = SIX.replace("4721f391", "0000f391").replace("ff70335d", "0000335d")


def _index_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=10).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _index_reachable(), reason="needs the package index (pypi.org) to install from")


@dataclass
class Step:
    code: int
    log: str
    python: str | None


@dataclass
class Action:
    """A copy of the action with its own locks, a runner tool cache, and a PATH with or without uv."""

    root: Path
    cache: Path
    bin: Path
    uv_cache: Path

    def lock(self, runtime: str, train: str = "") -> None:
        (self.root / "requirements/runtime.txt").write_text(runtime)
        (self.root / "requirements/train.txt").write_text(train)

    def run(self, *, sweep: bool = False, **env: str) -> Step:
        output = self.root.parent / "github_output"
        output.write_text("")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "MLFLOW_CI_", "VIRTUAL_ENV"))}
        done = subprocess.run(
            ["bash", str(self.root / "scripts/action-venv.sh")],
            env={
                **base,
                "PATH": f"{self.bin}:/usr/bin:/bin",
                "GITHUB_ACTION_PATH": str(self.root),
                "GITHUB_OUTPUT": str(output),
                "MLFLOW_CI_VENV_CACHE": str(self.cache),
                "UV_CACHE_DIR": str(self.uv_cache),
                "PIP_ROOT_USER_ACTION": "ignore",
                **({"MLFLOW_CI_SWEEP_CONFIG": "sweep.yml"} if sweep else {}),
                **env,
            },
            capture_output=True,
            text=True,
            timeout=600,
            cwd=self.root.parent,
        )
        lines = [line for line in output.read_text().splitlines() if line.startswith("python=")]
        return Step(done.returncode, done.stdout + done.stderr, lines[-1].removeprefix("python=") if lines else None)

    def venvs(self) -> list[Path]:
        return sorted(self.cache.glob("venv-*")) if self.cache.exists() else []


def _base_python() -> str:
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


@pytest.fixture(scope="module")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture
def action(tmp_path: Path, uv_cache: Path) -> Action:
    root = tmp_path / "action"
    (root / "scripts").mkdir(parents=True)
    (root / "requirements").mkdir()
    for name in ("scripts/action-venv.sh", "scripts/action_venv.py", "requirements/uv.txt"):
        shutil.copy2(ROOT / name, root / name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(_base_python())
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        pytest.skip("uv is not installed (scripts/dev-env.sh installs it with the dev extras)")
    (bin_dir / "uv").symlink_to(uv)
    made = Action(root, tmp_path / "tool-cache", bin_dir, uv_cache)
    made.lock(SIX, INICONFIG)
    return made


def _imports(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def test_builds_with_uv_then_reuses_the_venv(action: Action) -> None:
    first = action.run(MLFLOW_CI_INSTALLER="uv")
    assert first.code == 0, first.log
    assert "installed with uv" in first.log
    assert first.python and _imports(first.python, "six")
    assert not _imports(first.python, "iniconfig")  # train.txt only with sweep-config
    assert (Path(first.python).parent.parent / ".complete").read_text().startswith("mlflow-ci venv 1\n")

    started = time.monotonic()
    second = action.run(MLFLOW_CI_INSTALLER="uv")
    assert second.code == 0, second.log
    assert "reusing" in second.log and "installed with" not in second.log
    assert second.python == first.python
    assert time.monotonic() - started < 10  # no install: a couple of Python starts

    sweep = action.run(sweep=True)
    assert sweep.code == 0 and sweep.python != first.python, sweep.log
    assert sweep.python and _imports(sweep.python, "iniconfig") and _imports(sweep.python, "six")


def test_pip_builds_it_with_hashes_when_asked(action: Action) -> None:
    step = action.run(MLFLOW_CI_INSTALLER="pip")
    assert step.code == 0, step.log
    assert "installed with pip" in step.log
    assert step.python and _imports(step.python, "six")


def test_falls_back_to_pip_when_uv_fails(action: Action, tmp_path: Path) -> None:
    # uv offline with an empty cache cannot fetch anything, as behind a mirror only pip is configured for.
    step = action.run(UV_OFFLINE="1", UV_CACHE_DIR=str(tmp_path / "empty-uv-cache"))
    assert step.code == 0, step.log
    assert "::warning title=mlflow-ci::installing with uv failed" in step.log
    assert "installed with pip" in step.log
    assert step.python and _imports(step.python, "six")

    again = action.run(MLFLOW_CI_INSTALLER="uv", UV_OFFLINE="1", UV_CACHE_DIR=str(tmp_path / "empty-2"))
    assert again.code == 0 and "reusing" in again.log  # the venv pip built is as good as uv's: same lock, same marker


@pytest.mark.parametrize("installer", ["uv", "pip"])
@pytest.mark.parametrize("lock", [WRONG_HASH, SIX + "iniconfig==2.1.0\n"], ids=["wrong-hash", "unhashed-pin"])
def test_a_lock_that_does_not_pin_every_file_by_hash_is_refused(action: Action, installer: str, lock: str) -> None:
    action.lock(lock)
    step = action.run(MLFLOW_CI_INSTALLER=installer)
    assert step.code == 1, step.log
    assert "::error title=mlflow-ci::installing" in step.log and f"with {installer} failed" in step.log
    assert "hash" in step.log.lower()
    assert step.python is None
    assert action.venvs() == []  # nothing half-built left where a later job would look


def test_a_half_built_venv_is_not_reused(action: Action) -> None:
    built = action.run()
    assert built.code == 0 and built.python, built.log
    venv = Path(built.python).parent.parent
    (venv / ".complete").unlink()  # as if the job died between the install and the marker

    again = action.run()
    assert again.code == 0, again.log
    assert "does not match the lock; building it anew" in again.log
    assert again.python == built.python and (venv / ".complete").exists()
    assert _imports(again.python, "six")


def test_a_tampered_marker_or_changed_packages_are_not_reused(action: Action) -> None:
    built = action.run()
    assert built.code == 0 and built.python, built.log
    venv = Path(built.python).parent.parent
    marker = venv / ".complete"
    good = marker.read_text()

    marker.write_text(good.replace("digest ", "digest 0"))
    assert "building it anew" in action.run().log
    assert marker.read_text() == good

    # A later step installed into the action's venv: what runs is no longer what the lock says.
    subprocess.run(
        [str(action.bin / "uv"), "pip", "install", "--quiet", "--python", built.python, "iniconfig==2.1.0"],
        env={**os.environ, "UV_CACHE_DIR": str(action.uv_cache)},
        check=True,
    )
    assert _imports(built.python, "iniconfig")
    rebuilt = action.run()
    assert "building it anew" in rebuilt.log, rebuilt.log
    assert rebuilt.python and not _imports(rebuilt.python, "iniconfig")
    assert "reusing" in action.run().log


def test_a_venv_restored_from_another_lock_is_not_reused(action: Action) -> None:
    """An `actions/cache` restore-key can bring back an older build under this lock's directory name."""
    runtime_only = action.run()
    sweep_name = action.run(sweep=True).python
    assert runtime_only.python and sweep_name
    sweep_venv = Path(sweep_name).parent.parent
    shutil.rmtree(sweep_venv)
    shutil.copytree(Path(runtime_only.python).parent.parent, sweep_venv, symlinks=True)

    step = action.run(sweep=True)
    assert step.code == 0 and "building it anew" in step.log, step.log
    assert step.python == sweep_name and _imports(step.python, "iniconfig")


def test_a_new_lock_replaces_the_older_build_and_names_it_for_actions_cache(action: Action) -> None:
    old = action.run().python
    other = action.run(sweep=True).python  # the build with train.txt: another set of locks, kept
    assert old and other
    action.lock(SIX + "# a new version of the action\n", INICONFIG)

    env_file = action.root.parent / "github_env"
    new = action.run(GITHUB_ENV=str(env_file))
    assert new.code == 0 and new.python, new.log
    new_venv = Path(new.python).parent.parent
    assert action.venvs() == sorted([new_venv, Path(other).parent.parent])
    assert env_file.read_text() == f"MLFLOW_CI_VENV_KEY={new_venv.name.removeprefix('venv-')}\n"


def test_bootstraps_the_pinned_uv_when_the_runner_has_none(action: Action) -> None:
    (action.bin / "uv").unlink()
    step = action.run(MLFLOW_CI_INSTALLER="uv")
    assert step.code == 0, step.log
    assert "installed with uv" in step.log
    tools = list(action.cache.glob("uv-*/bin/uv"))
    assert len(tools) == 1 and (tools[0].parent.parent / ".complete").exists()
    assert step.python and _imports(step.python, "six")


def test_a_tampered_uv_pin_is_refused_and_pip_takes_over(action: Action) -> None:
    (action.bin / "uv").unlink()
    uv_lock = action.root / "requirements/uv.txt"
    uv_lock.write_text(re.sub(r"(sha256:[0-9a-f]{56})[0-9a-f]{8}", r"\g<1>00000000", uv_lock.read_text()))
    step = action.run()
    assert step.code == 0, step.log
    assert "::warning title=mlflow-ci::installing with uv failed" in step.log
    assert "installed with pip" in step.log
    assert list(action.cache.glob("uv-*")) == []
