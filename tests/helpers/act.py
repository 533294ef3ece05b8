"""Running consumer workflows with `act` in host mode: a consumer repository that says
`uses: org/mlflow-ci-action@v1`, which `--local-repository` maps to a clean copy of this working tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


def act_binary() -> str | None:
    return shutil.which("act") or next((str(p) for p in [Path(sys.executable).parent / "act"] if p.exists()), None)


@dataclass
class ActRun:
    code: int
    log: str
    step: dict[str, str] | None
    job: dict[str, str] | None


@dataclass
class Consumer:
    root: Path
    act: str
    action: Path
    venv_cache: Path
    tracking_uri: str

    def run(self, event_name: str, event: dict, secrets: dict[str, str] | None = None, **env: str) -> ActRun:
        results = self.root / "results"
        shutil.rmtree(results, ignore_errors=True)
        results.mkdir()
        event_path = self.root.parent / f"{event_name}.json"
        event_path.write_text(json.dumps(event))
        settings = {
            "GREATER_IS_BETTER": "true",
            "THRESHOLD": "",
            **env,
            "RESULTS_DIR": str(results),
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "MLFLOW_CI_VENV_CACHE": str(self.venv_cache),
        }
        command = [
            self.act,
            event_name,
            "-P",
            "ubuntu-latest=-self-hosted",
            "-e",
            str(event_path),
            "--local-repository",
            f"org/mlflow-ci-action@v1={self.action}",
            "--secret-file",
            os.devnull,
            "--var-file",
            os.devnull,
            "--env-file",
            os.devnull,
        ]
        for name, value in settings.items():
            command += ["--env", f"{name}={value}"]
        for name, value in (secrets or {}).items():
            command += ["--secret", f"{name}={value}"]
        done = subprocess.run(
            command, cwd=self.root, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
        )
        return ActRun(
            done.returncode, done.stdout + done.stderr, _read(results / "step.json"), _read(results / "job.json")
        )


def _read(path: Path) -> dict[str, str] | None:
    return json.loads(path.read_text()) if path.exists() else None


def init_repo(root: Path, workflows: dict[str, str], files: dict[str, str] | None = None) -> Path:
    """A consumer repository on main with these workflow files (name -> YAML) and other files, committed."""
    (root / ".github" / "workflows").mkdir(parents=True)
    for name, text in workflows.items():
        (root / ".github" / "workflows" / name).write_text(text)
    (root / "README.md").write_text("a consumer of mlflow-ci-action\n")
    for name, text in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(
        ["git", "remote", "add", "origin", "https://github.com/example-org/ml-project.git"], cwd=root, check=True
    )
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=root, check=True)
    return root


def head_of(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def push(repo: Path, branch: str) -> dict:
    return {
        "ref": f"refs/heads/{branch}",
        "after": head_of(repo),
        "deleted": False,
        "repository": {"full_name": "example-org/ml-project", "default_branch": "main"},
    }


def pull_request(repo: Path) -> dict:
    head = {
        "sha": head_of(repo),
        "ref": "feature/better-model",
        "repo": {"full_name": "example-org/ml-project", "fork": False},
    }
    return {
        "action": "synchronize",
        "number": 42,
        "pull_request": {"number": 42, "head": head, "base": {"ref": "main", "sha": head_of(repo)}},
        "repository": {"full_name": "example-org/ml-project", "default_branch": "main"},
    }
