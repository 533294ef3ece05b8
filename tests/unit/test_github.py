import io
import json

import pytest

from mlflow_ci.github import Context, Runner, format_output, load_context
from tests.helpers import gh
from tests.helpers.runner_files import parse_env_file


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "a=b",
        "line 1\nline 2",
        "EOF\nEOF",
        "ends with newline\n",
        "ghadelimiter_x\n",
        "name<<EOF",
        "unicode ✓ 模型",
        "%0A literal",
    ],
)
def test_outputs_round_trip_through_the_runner_parser(value):
    text = format_output("a", value) + format_output("b", "next")
    assert parse_env_file(text) == {"a": value, "b": "next"}


def test_runner_writes_outputs_and_summary_to_their_files(tmp_path):
    environ = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "sum"),
    }
    runner = Runner(environ, io.StringIO())
    runner.set_outputs({"run_id": "abc", "passed": "true"})
    runner.set_outputs({"model_version": "3"})
    runner.append_summary("# one")
    runner.append_summary("two\n")
    assert parse_env_file((tmp_path / "out").read_text()) == {"run_id": "abc", "passed": "true", "model_version": "3"}
    assert (tmp_path / "sum").read_text() == "# one\ntwo\n"


def test_commands_escape_data_and_properties():
    stream = io.StringIO()
    runner = Runner({"GITHUB_ACTIONS": "true"}, stream)
    runner.error("50% off\nsecond line", title="input a,b: c")
    runner.error("plain")
    runner.add_mask("s3cret")
    assert stream.getvalue().splitlines() == [
        "::error title=input a%2Cb%3A c::50%25 off%0Asecond line",
        "::error::plain",
        "::add-mask::s3cret",
    ]


def test_no_mask_command_off_github():
    stream = io.StringIO()
    Runner({}, stream).add_mask("s3cret")
    assert stream.getvalue() == ""


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
    assert json.loads(json.dumps({})) == {}
