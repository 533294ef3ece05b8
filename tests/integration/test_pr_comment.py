"""The pull request comment, end to end: the CLI as a workflow step, a real `mlflow server`, the real PyGithub,
and a DOUBLE of the GitHub REST API (tests/helpers/github_api.py) reached through GITHUB_API_URL, because the
real api.github.com cannot be reached from these tests.
"""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest
from github import Auth, Github
from github.GithubException import GithubException

from mlflow_ci.github import comment
from mlflow_ci.github.context import load_context
from tests.helpers import gh
from tests.helpers.github_api import GitHubApiDouble
from tests.helpers.mlflow_runs import log_run, unique
from tests.helpers.steps import Step
from tests.helpers.steps import run_cli_step as run_step

TOKEN = "ghs_0123456789abcdefWorkflowToken"
READ_ONLY = "ghs_readOnlyForkToken0123456789"
BOT = "github-actions[bot]"
PR = 7


@pytest.fixture
def api():
    """The GitHub API double (not the real GitHub): the workflow token belongs to github-actions[bot]."""
    with GitHubApiDouble() as double:
        double.add_token(TOKEN, BOT)
        double.add_token(READ_ONLY, BOT, read_only=True)
        yield double


@pytest.fixture
def experiment(mlflow_server: str) -> str:
    return unique("exp")


def pr_step(
    tmp_path: Path,
    server: str,
    api: GitHubApiDouble,
    experiment: str,
    *extra: str,
    token: str = TOKEN,
    mode: str = "auto",
    fork: bool = False,
    event_name: str = "pull_request",
) -> Step:
    env = {"GITHUB_API_URL": api.url, "INPUT_GITHUB_TOKEN": token, "INPUT_COMMENT": mode}
    args = ["ci", "--tracking-uri", server, "--experiment-name", experiment, "--metric", "accuracy",
            "--model-name", f"{experiment}-model", "--alias", "production", *extra]  # fmt: skip
    event = gh.pull_request_event(number=PR, fork=fork) if event_name == "pull_request" else gh.push_event("main")
    return run_step(tmp_path, args, event_name, event, env)


def bot_comments(api: GitHubApiDouble) -> list[dict]:
    return [c for c in api.comments(gh.REPO, PR) if c["user"]["login"] == BOT]


def test_two_runs_on_the_same_pull_request_leave_one_updated_comment(tmp_path, mlflow_server, api, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.81})
    first = pr_step(tmp_path, mlflow_server, api, experiment)
    assert first.code == 0, first.log
    [created] = bot_comments(api)
    assert created["body"].startswith(comment.marker("ml", "train", experiment) + "\n")
    assert "accuracy 0.81" in created["body"] and first.outputs["comment_url"] == created["html_url"]
    assert f"pull request comment created: {created['html_url']}" in first.log

    log_run(mlflow_server, experiment, {"accuracy": 0.93})
    second = pr_step(tmp_path, mlflow_server, api, experiment)
    assert second.code == 0, second.log
    [updated] = bot_comments(api)
    assert updated["id"] == created["id"] and second.outputs["comment_url"] == created["html_url"]
    assert "accuracy 0.93" in updated["body"] and "accuracy 0.81 passed" not in updated["body"]
    assert "pull request comment updated" in second.log
    assert len(api.requests("POST", "/comments")) == 1 and len(api.requests("PATCH")) == 1
    # The comment is the step summary's report, with the marker above and a footer below.
    assert second.summary.strip() in updated["body"]


def test_the_comment_is_found_past_the_first_pages(tmp_path, mlflow_server, api, experiment):
    for i in range(230):
        api.add_comment(gh.REPO, PR, "reviewer", f"review comment {i}")
    log_run(mlflow_server, experiment, {"accuracy": 0.81})
    assert pr_step(tmp_path, mlflow_server, api, experiment).code == 0  # ours is comment 231: on page 3 of 3
    api.state.log.clear()

    again = pr_step(tmp_path, mlflow_server, api, experiment)
    assert again.code == 0, again.log
    assert len(bot_comments(api)) == 1 and len(api.comments(gh.REPO, PR)) == 231
    pages = [(r.query.get("page", ["1"])[0], r.query.get("per_page", [""])[0]) for r in api.requests("GET")]
    assert pages == [("1", "100"), ("2", "100"), ("3", "100")]  # PyGithub followed the Link headers
    assert len(api.requests("PATCH")) == 1 and not api.requests("POST", "/comments")


def test_a_comment_by_someone_else_holding_the_marker_is_not_touched(tmp_path, mlflow_server, api, experiment):
    mark = comment.marker("ml", "train", experiment)
    quoted = api.add_comment(gh.REPO, PR, "octocat", f"Why does the bot write {mark}?")
    other_experiment = api.add_comment(gh.REPO, PR, BOT, comment.marker("ml", "train", "another-experiment"))
    deleted_user = api.add_comment(gh.REPO, PR, None, f"copied: {mark}")
    log_run(mlflow_server, experiment, {"accuracy": 0.81})
    step = pr_step(tmp_path, mlflow_server, api, experiment)
    assert step.code == 0, step.log
    comments = {c["id"]: c for c in api.comments(gh.REPO, PR)}
    untouched = [quoted, other_experiment, deleted_user]
    assert [comments[c["id"]] for c in untouched] == untouched
    [ours] = [c for c in comments.values() if c not in untouched]
    assert ours["user"]["login"] == BOT and ours["body"].startswith(mark)
    assert not api.requests("PATCH")


def test_a_read_only_token_gets_a_notice_and_the_step_succeeds(tmp_path, mlflow_server, api, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.81})
    step = pr_step(tmp_path, mlflow_server, api, experiment, token=READ_ONLY, mode="true", fork=True)
    assert step.code == 0, step.log
    notices = [line for line in step.stdout.splitlines() if line.startswith("::notice")]
    assert notices == [
        "::notice::no pull request comment: GitHub answered 403 (Resource not accessible by integration). Give "
        "the job `permissions: pull-requests: write` and a github-token allowed to use it; pull requests from "
        "forks get a read-only token, so their report is in the step summary only",
        "::notice::not registered: pull_request from the fork someone/ml-project: a fork never registers",
    ]
    assert api.requests("POST", "/comments") and api.comments(gh.REPO, PR) == []
    assert step.outputs["comment_url"] == "" and "accuracy 0.81 passed the gate" in step.summary
    assert "Traceback" not in step.log


def test_a_fork_pull_request_under_auto_asks_nothing_of_github(tmp_path, mlflow_server, api, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.81})
    step = pr_step(tmp_path, mlflow_server, api, experiment, fork=True)
    assert step.code == 0, step.log
    assert "::notice::pull request from a fork: its workflow token is read-only" in step.stdout
    assert api.state.log == [] and step.summary


def test_a_refused_token_gets_a_notice(tmp_path, mlflow_server, api, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.81})
    step = pr_step(tmp_path, mlflow_server, api, experiment, token="ghs_revoked")
    assert step.code == 0, step.log
    assert "::notice::no pull request comment: GitHub answered 401 (Bad credentials): check github-token" in step.stdout


def test_an_unreachable_api_is_a_warning_not_a_failure(tmp_path, mlflow_server, experiment):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/api/v3"
    log_run(mlflow_server, experiment, {"accuracy": 0.81})
    env = {"GITHUB_API_URL": closed, "INPUT_GITHUB_TOKEN": TOKEN}
    args = ["gate", "--tracking-uri", mlflow_server, "--experiment-name", experiment, "--metric", "accuracy"]
    step = run_step(tmp_path, args, "pull_request", gh.pull_request_event(number=PR), env)
    assert step.code == 0, step.log
    assert f"::warning::no pull request comment: cannot reach the GitHub API at {closed} (" in step.stdout


def test_no_comment_on_pushes_or_when_turned_off(tmp_path, mlflow_server, api, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.81})
    assert pr_step(tmp_path, mlflow_server, api, experiment, "--register", "never", event_name="push").code == 0
    assert pr_step(tmp_path, mlflow_server, api, experiment, mode="false").code == 0
    assert api.state.log == []


def test_a_failed_gate_is_commented_before_the_step_fails(tmp_path, mlflow_server, api, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.81})
    step = pr_step(tmp_path, mlflow_server, api, experiment, "--threshold", "0.9")
    assert step.code == 1
    [ours] = bot_comments(api)
    assert "accuracy 0.81 failed the gate" in ours["body"] and "misses the threshold 0.9" in ours["body"]
    assert "::error title=gate failed::accuracy 0.81 misses the threshold 0.9" in step.stdout


def test_the_token_is_masked_and_appears_nowhere_else(tmp_path, mlflow_server, api, experiment):
    log_run(mlflow_server, experiment, {"accuracy": 0.81}, params={"leaked": TOKEN})
    workspace = tmp_path / "workspace"
    args = ["ci", "--tracking-uri", mlflow_server, "--experiment-name", experiment, "--metric", "accuracy"]
    env = {"GITHUB_API_URL": api.url, "INPUT_GITHUB_TOKEN": TOKEN, "GITHUB_WORKSPACE": str(workspace)}
    step = run_step(tmp_path, [*args, "--register", "never"], "pull_request", gh.pull_request_event(number=PR), env)
    assert step.code == 0, step.log
    assert step.stdout.splitlines()[0] == f"::add-mask::{TOKEN}"  # the runner hides it from here on
    assert TOKEN not in "\n".join(step.stdout.splitlines()[1:]) + step.stderr
    assert TOKEN not in step.summary and TOKEN not in str(step.outputs)
    for path in Path(step.outputs["report_path"]).iterdir():
        assert TOKEN not in path.read_text(), path
    [ours] = bot_comments(api)
    assert TOKEN not in ours["body"] and "***" in ours["body"]  # a param holding it was scrubbed


def test_a_report_over_githubs_limit_is_cut_with_a_link_to_the_full_summary(tmp_path, api):
    ctx = load_context(gh.step_env(tmp_path, "pull_request", gh.pull_request_event(number=PR)).environ)
    ctx = dataclasses.replace(ctx, api_url=api.url)
    huge = "### report\n\n" + "".join(f"| run {i} | {'x' * 60} |\n" for i in range(2000))
    # The double refuses what GitHub refuses, so the cut below is what makes the comment possible.
    client = Github(auth=Auth.Token(TOKEN), base_url=api.url, seconds_between_requests=None, retry=None, lazy=True)
    with pytest.raises(GithubException) as refused:
        client.get_repo(gh.REPO).get_issue(PR).create_comment(comment.body(huge, ctx, "e"))
    assert refused.value.status == 422

    outcome = comment.post(huge, ctx, "e", TOKEN)
    assert outcome.problem == "" and outcome.action == "created"
    [ours] = bot_comments(api)
    assert len(ours["body"]) <= comment.MAX_BODY
    assert ours["body"].endswith(f"the full report is in [the workflow run's summary]({ctx.run_url}).**\n")
