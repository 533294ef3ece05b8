"""The hash-pinned locks: every pin carries hashes, the Dockerfile and the action install them with
--require-hashes, and they are what scripts/lock.sh compiles from requirements/*.in (needs the index)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LOCKS = ("runtime.txt", "train.txt", "uv.txt")


def _pins(lock: str) -> dict[str, list[str]]:
    """name==version -> its hashes, from the lock's text (continuation lines joined)."""
    text = (ROOT / "requirements" / lock).read_text().replace("\\\n", " ")
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = line.split(";", 1)[0].split()[0]
            pins[requirement] = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
    return pins


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_is_exact_and_hashed(lock: str) -> None:
    pins = _pins(lock)
    assert pins
    for requirement, hashes in pins.items():
        assert re.fullmatch(r"[A-Za-z0-9._-]+==[^=\s]+", requirement), requirement
        assert hashes, f"{lock}: {requirement} has no --hash"


def test_train_lock_keeps_the_runtime_pins() -> None:
    runtime = {r.split("==")[0]: r for r in _pins("runtime.txt")}
    for requirement in _pins("train.txt"):
        name = requirement.split("==")[0]
        if name in runtime:
            assert requirement == runtime[name], f"train.txt pins {requirement}, runtime.txt {runtime[name]}"


def test_installers_require_hashes() -> None:
    assert "pip install --require-hashes -r /build/requirements/runtime.txt" in (ROOT / "Dockerfile").read_text()
    script = (ROOT / "scripts/action-venv.sh").read_text()
    assert script.count("--require-hashes") >= 3  # uv, pip, and pip installing uv itself


def _index_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=10).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _index_reachable(), reason="scripts/lock.sh --check resolves against the package index")
def test_locks_are_what_the_in_files_compile_to() -> None:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        pytest.skip("uv is not installed (scripts/dev-env.sh installs it with the dev extras)")
    done = subprocess.run(
        ["bash", str(ROOT / "scripts/lock.sh"), "--check"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("UV_")}, "UV": uv},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
