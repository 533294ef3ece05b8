"""A GitHub Actions step environment for running the CLI as the runner would: event payload, output and
summary files, GITHUB_* variables."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.runner_files import parse_env_file

REPO = "example-org/ml-project"
HEAD_SHA = "1111111111111111111111111111111111111111"
MERGE_SHA = "2222222222222222222222222222222222222222"


def push_event(branch: str, default_branch: str = "main", sha: str = HEAD_SHA) -> dict:
    return {
        "ref": f"refs/heads/{branch}",
        "after": sha,
        "deleted": False,
        "repository": {"full_name": REPO, "default_branch": default_branch},
    }


def pull_request_event(number: int = 7, fork: bool = False, head_sha: str = HEAD_SHA) -> dict:
    head_repo = {"full_name": "someone/ml-project" if fork else REPO, "fork": fork}
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": head_sha, "ref": "feature/better", "repo": head_repo},
            "base": {"ref": "main", "sha": "3" * 40},
        },
        "repository": {"full_name": REPO, "default_branch": "main"},
    }


@dataclass
class StepEnv:
    environ: dict[str, str]
    root: Path

    def outputs(self) -> dict[str, str]:
        return parse_env_file((self.root / "output.txt").read_text(encoding="utf-8"))

    def summary(self) -> str:
        path = self.root / "summary.md"
        return path.read_text(encoding="utf-8") if path.exists() else ""


def step_env(root: Path, event_name: str, event: dict, run_id: str = "4242") -> StepEnv:
    root.mkdir(parents=True, exist_ok=True)
    event_path = root / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    (root / "output.txt").write_text("", encoding="utf-8")
    ref = event.get("ref") or f"refs/pull/{event.get('number')}/merge"
    sha = event.get("after") or MERGE_SHA
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REF": ref,
        "GITHUB_SHA": sha,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_RUN_ID": run_id,
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_WORKFLOW": "ml",
        "GITHUB_JOB": "train",
        "GITHUB_OUTPUT": str(root / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(root / "summary.md"),
    }
    return StepEnv(environ, root)
