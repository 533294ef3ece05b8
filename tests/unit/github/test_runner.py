"""The runner contract: outputs in the heredoc form the runner parses, the summary, escaped commands, masks."""

import io

import pytest

from mlflow_ci.github.runner import Runner, format_output
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


def test_masked_values_never_print_even_off_github():
    stream = io.StringIO()
    runner = Runner({}, stream)
    runner.add_mask("s3cret")
    runner.error("token s3cret rejected")
    runner.info("s3cret")
    assert stream.getvalue() == "::error::token *** rejected\n***\n"
