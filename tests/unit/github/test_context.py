"""The event context: default branch, commits, forks, pull requests, from GITHUB_* and the payload."""

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
