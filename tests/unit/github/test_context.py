"""The event context: default branch, commits, forks, pull requests, from GITHUB_* and the payload."""

from pathlib import Path

import pytest

from mlflow_ci.errors import RunnerError
from mlflow_ci.github.context import Context, load_context
from tests.helpers import gh


def context(tmp_path, event_name, event, **env):
    step = gh.step_env(tmp_path, event_name, event)
    return load_context({**step.environ, **env})


def test_push_to_default_branch(tmp_path):
    ctx = context(tmp_path, "push", gh.push_event("main"))
    assert ctx.is_default_branch_push and ctx.head_sha == gh.HEAD_SHA and not ctx.is_fork
    assert ctx.run_url == f"https://github.com/{gh.REPO}/actions/runs/4242"


def test_default_branch_comes_from_the_payload(tmp_path):
    assert context(tmp_path, "push", gh.push_event("master", default_branch="master")).is_default_branch_push
    assert not context(tmp_path, "push", gh.push_event("main", default_branch="master")).is_default_branch_push


def test_push_to_a_feature_branch_or_tag(tmp_path):
    assert not context(tmp_path, "push", gh.push_event("feature/x")).is_default_branch_push
    tag = {**gh.push_event("main"), "ref": "refs/tags/v1.0.0"}
    assert not context(tmp_path, "push", tag).is_default_branch_push


def test_pull_request_uses_the_head_commit_not_the_merge_commit(tmp_path):
    ctx = context(tmp_path, "pull_request", gh.pull_request_event(number=12))
    assert ctx.sha == gh.MERGE_SHA and ctx.head_sha == gh.HEAD_SHA
    assert ctx.pr_number == 12 and not ctx.is_default_branch_push and not ctx.is_fork
    assert ctx.where == "pull_request"


def test_fork_pull_request(tmp_path):
    assert context(tmp_path, "pull_request", gh.pull_request_event(fork=True)).is_fork


def test_no_payload_falls_back_to_main(tmp_path):
    ctx = load_context({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main"})
    assert ctx.default_branch == "main" and ctx.is_default_branch_push and not ctx.on_github


def test_unreadable_payload_is_treated_as_empty(tmp_path):
    bad = tmp_path / "event.json"
    bad.write_text("{not json")
    assert load_context({"GITHUB_EVENT_PATH": str(bad)}) == Context()


def test_github_api_url_and_workspace_come_from_the_runner():
    ctx = load_context({"GITHUB_API_URL": "https://ghe.example.com/api/v3/", "GITHUB_WORKSPACE": "/ws"})
    assert ctx.api_url == "https://ghe.example.com/api/v3" and ctx.workspace == "/ws"
    assert load_context({}).api_url == "https://api.github.com"


def test_an_unreadable_event_payload_on_a_runner_is_an_error_not_a_guess(tmp_path):
    step = gh.step_env(tmp_path, "push", gh.push_event("release", default_branch="release"))
    Path(step.environ["GITHUB_EVENT_PATH"]).write_text("{garbage")
    with pytest.raises(RunnerError, match="GITHUB_EVENT_PATH"):
        load_context(step.environ)
    off_github = {k: v for k, v in step.environ.items() if k != "GITHUB_ACTIONS"}
    assert load_context(off_github).default_branch == "main"  # off a runner nothing claims to be a payload


def test_a_pull_request_inside_a_repository_that_is_itself_a_fork_is_not_a_fork(tmp_path):
    event = gh.pull_request_event()
    event["pull_request"]["head"]["repo"]["fork"] = True  # this repository is a fork of another one
    ctx = context(tmp_path, "pull_request", event)
    assert not ctx.is_fork and not ctx.is_fork_pull_request
    fork = context(tmp_path, "pull_request_target", gh.pull_request_event(fork=True))
    assert fork.is_fork_pull_request and fork.head_repository == "someone/ml-project"
