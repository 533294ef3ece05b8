"""What the workflow run says about itself: GITHUB_* variables and the event payload."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlflow_ci.errors import RunnerError


@dataclass(frozen=True)
class Context:
    """What the workflow run says about itself: from GITHUB_* variables and the event payload."""

    on_github: bool = False
    event_name: str = ""
    ref: str = ""
    sha: str = ""  # the checked-out commit (a PR's test merge commit on pull_request)
    head_sha: str = ""  # the commit the author pushed: a PR's head, else sha
    repository: str = ""
    default_branch: str = "main"
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"  # GITHUB_API_URL: GitHub Enterprise Server has its own
    workspace: str = ""  # GITHUB_WORKSPACE: where the report files go on a runner
    run_id: str = ""
    run_attempt: str = ""
    workflow: str = ""
    job: str = ""
    actor: str = ""
    pr_number: int | None = None
    is_fork: bool = False
    head_repository: str = ""  # a pull request's head repository (owner/name): the fork, for a fork

    @property
    def is_fork_pull_request(self) -> bool:
        """A pull_request or pull_request_target from a fork: it never registers or promotes."""
        return self.event_name in ("pull_request", "pull_request_target") and self.is_fork

    @property
    def is_default_branch_push(self) -> bool:
        return self.event_name == "push" and self.ref == f"refs/heads/{self.default_branch}"

    @property
    def workspace_dir(self) -> Path:
        """Where the job's files are: the workspace on a runner, else the current directory."""
        return Path(self.workspace or os.getcwd())

    @property
    def run_url(self) -> str:
        if not (self.repository and self.run_id):
            return ""
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @property
    def is_pull_request(self) -> bool:
        return self.event_name in ("pull_request", "pull_request_target") and self.pr_number is not None

    @property
    def where(self) -> str:
        """A short phrase for messages: 'pull_request', 'push to refs/heads/feature'."""
        if self.event_name == "push":
            return f"push to {self.ref}"
        return self.event_name or "outside GitHub Actions"


def read_event(environ: Mapping[str, str]) -> dict[str, Any]:
    """The event payload. On a runner, a payload the runner names (GITHUB_EVENT_PATH) must be readable and a
    JSON object: the default branch, forks and pull requests are read from it, and guessing them (e.g. that
    `main` is the default branch) could register from the wrong branch. Off a runner, or when no payload is
    named (a container started by hand), it is empty."""
    on_github = environ.get("GITHUB_ACTIONS") == "true"
    event_path = environ.get("GITHUB_EVENT_PATH", "")
    if not event_path:
        return {}
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        if not on_github:
            return {}
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"not valid JSON ({exc})"
        raise RunnerError(
            f"the event payload {event_path} (GITHUB_EVENT_PATH) cannot be read: {problem}: the runner writes "
            "it before the job starts; check that no earlier step replaced or deleted it"
        ) from None
    if not isinstance(event, dict):
        if not on_github:
            return {}
        raise RunnerError(
            f"the event payload {event_path} (GITHUB_EVENT_PATH) is not a JSON object: check that no earlier "
            "step replaced it"
        )
    return event


def _object(parent: Mapping[str, Any], key: str, where: str, on_github: bool) -> dict[str, Any]:
    """A JSON object inside the payload: missing or null is empty; any other shape is a malformed payload (an
    error on a runner, where forks and branches are read from it; ignored elsewhere)."""
    value = parent.get(key)
    if value is None or isinstance(value, dict):
        return value or {}
    if not on_github:
        return {}
    raise RunnerError(
        f"the event payload's {where}{key} is a {type(value).__name__}, not an object: check that no earlier step "
        "replaced the payload (GITHUB_EVENT_PATH)"
    )


def load_context(environ: Mapping[str, str]) -> Context:
    event = read_event(environ)
    on_github = environ.get("GITHUB_ACTIONS") == "true"
    pull = _object(event, "pull_request", "", on_github)
    head = _object(pull, "head", "pull_request.", on_github)
    head_repo_object = _object(head, "repo", "pull_request.head.", on_github)
    repository_object = _object(event, "repository", "", on_github)
    sha = environ.get("GITHUB_SHA", "")
    number = pull.get("number") or event.get("number")
    head_repo = str(head_repo_object.get("full_name") or "")
    repository = environ.get("GITHUB_REPOSITORY", "")
    return Context(
        on_github=environ.get("GITHUB_ACTIONS") == "true",
        event_name=environ.get("GITHUB_EVENT_NAME", ""),
        ref=environ.get("GITHUB_REF", ""),
        sha=sha,
        head_sha=str(head.get("sha") or sha),
        repository=repository,
        default_branch=str(repository_object.get("default_branch") or "main"),
        server_url=environ.get("GITHUB_SERVER_URL", "https://github.com"),
        api_url=(environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
        workspace=environ.get("GITHUB_WORKSPACE", ""),
        run_id=environ.get("GITHUB_RUN_ID", ""),
        run_attempt=environ.get("GITHUB_RUN_ATTEMPT", ""),
        workflow=environ.get("GITHUB_WORKFLOW", ""),
        job=environ.get("GITHUB_JOB", ""),
        actor=environ.get("GITHUB_ACTOR", ""),
        pr_number=int(number) if isinstance(number, int | str) and str(number).isdigit() else None,
        # The head repository differs from this one. `head.repo.fork` alone would also flag a branch of a
        # repository that is itself a fork of another, so it only decides when the names are missing.
        is_fork=head_repo != repository if head_repo and repository else bool(head_repo_object.get("fork")),
        head_repository=head_repo,
    )
