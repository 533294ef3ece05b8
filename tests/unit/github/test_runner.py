"""The runner contract: outputs in the heredoc form the runner parses, the summary, escaped commands, masks."""

import io

import pytest

from mlflow_ci.errors import RunnerError
from mlflow_ci.github.runner import Runner, format_output
from tests.helpers.runner_commands import commands
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
    assert stream.getvalue() == "error: token *** rejected\n***\n"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_github_commands_are_plain_lines_coloured_only_on_a_terminal():
    plain = io.StringIO()
    runner = Runner({}, plain)
    runner.error("bad\ninput", "input x")
    runner.warning("careful")
    runner.notice("not registered")
    runner.note("a note")
    assert plain.getvalue() == "error: bad input\nwarning: careful\nnote: not registered\nnote: a note\n"
    terminal = _Terminal()
    Runner({}, terminal).error("bad")
    assert terminal.getvalue() == "\x1b[1;31merror\x1b[0m: bad\n"
    no_color = _Terminal()
    Runner({"NO_COLOR": "1"}, no_color).error("bad")
    assert no_color.getvalue() == "error: bad\n"


def test_on_github_a_note_is_a_log_line_and_a_notice_stays_a_command():
    stream = _Terminal()
    runner = Runner({"GITHUB_ACTIONS": "true"}, stream)
    runner.note("a note")
    runner.notice("not registered")
    assert stream.getvalue() == "a note\n::notice::not registered\n"


@pytest.mark.parametrize(
    "text",
    ["run x\n::warning::INJECTED", "  ::error title=t::INJECTED", "a ##[warning]INJECTED", "::add-mask::INJECTED"],
)
def test_text_that_would_be_a_workflow_command_is_shown_but_not_obeyed(text):
    stream = io.StringIO()
    Runner({"GITHUB_ACTIONS": "true"}, stream).info(text)
    printed = stream.getvalue()
    assert text in printed
    assert [c for c in commands(printed) if "INJECTED" in c.data] == []


def test_plain_lines_and_the_actions_own_commands_stay_as_they_are():
    stream = io.StringIO()
    runner = Runner({"GITHUB_ACTIONS": "true"}, stream)
    runner.info("mlflow-ci: best run lr-1: accuracy 0.9")
    runner.child_output("epoch 1: loss 0.3\n")
    runner.warning("a real warning")
    assert stream.getvalue() == (
        "mlflow-ci: best run lr-1: accuracy 0.9\nepoch 1: loss 0.3\n::warning::a real warning\n"
    )
    assert [c.name for c in commands(stream.getvalue())] == ["warning"]


@pytest.mark.parametrize("variable", ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"])
def test_an_unwritable_runner_file_is_found_before_the_step_does_anything(tmp_path, variable):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    runner = Runner({"GITHUB_ACTIONS": "true", variable: str(blocker / "out.txt")}, io.StringIO())
    with pytest.raises(RunnerError, match=variable):
        runner.check_files()
    Runner({variable: str(tmp_path / "fine.txt")}, io.StringIO()).check_files()
