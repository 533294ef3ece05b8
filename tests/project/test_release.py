"""The release workflow's rules (release.yml) and the check it runs first (scripts/release_check.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlflow_ci import __version__
from tests.helpers.runner_files import parse_env_file

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import release_check  # noqa: E402
import sync_interface  # noqa: E402

WORKFLOW_TEXT = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
WORKFLOW = yaml.safe_load(WORKFLOW_TEXT)
REPOSITORY = sync_interface.IMAGE_REPOSITORY.removeprefix("ghcr.io/")


def test_runs_on_version_tags_only():
    trigger = WORKFLOW[True]  # YAML 1.1 reads the key `on` as a boolean
    assert trigger == {"push": {"tags": ["v*.*.*"]}}


def test_permissions_are_granted_per_job_and_least():
    assert WORKFLOW["permissions"] == {}
    jobs = WORKFLOW["jobs"]
    assert jobs["image"]["permissions"] == {"contents": "read", "packages": "write"}
    assert jobs["major-tag"]["permissions"] == {"contents": "write"}
    assert jobs["major-tag"]["needs"] == "image"
    assert all("timeout-minutes" in job for job in jobs.values())


def test_actions_are_pinned_by_full_sha_with_a_version_comment():
    uses = re.findall(r"^\s*-?\s*uses:\s*(.+)$", WORKFLOW_TEXT, re.M)
    assert uses
    for line in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), line


def test_no_expression_inside_run_scripts():
    for job in WORKFLOW["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step


def test_check_accepts_the_package_version_for_this_repository():
    values = release_check.check(f"v{__version__}", REPOSITORY.upper())
    major = f"v{__version__.split('.')[0]}"
    assert values == {
        "version": __version__,
        "tag": f"v{__version__}",
        "image": f"ghcr.io/{REPOSITORY}",
        "major": major,
    }


@pytest.mark.parametrize(
    ("tag", "repository", "says"),
    [
        ("v99.0.0", REPOSITORY, "is not the package version"),
        (f"v{__version__}-rc1", REPOSITORY, "is not a release tag"),
        ("v1.2", REPOSITORY, "is not a release tag"),
        (f"v{__version__}", "someone/fork", "set IMAGE_REPOSITORY"),
    ],
)
def test_check_refuses(tag: str, repository: str, says: str):
    with pytest.raises(release_check.ReleaseError, match=says):
        release_check.check(tag, repository)


def test_command_writes_outputs_or_one_error_line(tmp_path: Path):
    output = tmp_path / "output"
    script = str(ROOT / "scripts" / "release_check.py")
    env = {"GITHUB_OUTPUT": str(output), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, script, f"v{__version__}", REPOSITORY], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert parse_env_file(output.read_text(encoding="utf-8"))["image"] == f"ghcr.io/{REPOSITORY}"
    failed = subprocess.run([sys.executable, script, "v99.0.0", REPOSITORY], env=env, capture_output=True, text=True)
    assert failed.returncode == 1
    assert failed.stdout.count("::error") == 1 and "Traceback" not in failed.stderr
