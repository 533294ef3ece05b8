"""Help that teaches: `mlflow-ci <command> --help` shows only the flags that command reads, marks the required
ones, shows defaults and choices, and ends with an example; `mlflow-ci --help` lists the commands."""

from __future__ import annotations

import re

import pytest

from mlflow_ci import inputs as params
from tests.helpers.cli import clean_environ, run_main

TRAIN_FLAGS = ("--train-command", "--sweep-config", "--dvc", "--dvc-commit-lock")


def help_of(tmp_path, *argv: str) -> str:
    answer = run_main([*argv, "--help"], clean_environ(tmp_path))
    assert answer.code == 0 and answer.stderr == "", answer.output
    return answer.stdout


def flag_line(text: str, flag: str) -> str:
    """The help entry of one flag (its first line and the indented lines under it)."""
    match = re.search(rf"^  {re.escape(flag)}\b.*?(?=^  -|^\S|\Z)", text, re.M | re.S)
    assert match, f"{flag} not in:\n{text}"
    return " ".join(match.group(0).split())


def flags_in(text: str) -> set[str]:
    return set(re.findall(r"^  (--[a-z-]+)", text, re.M))


@pytest.mark.parametrize("command", ["best-run", "gate", "report"])
def test_a_command_that_does_not_train_shows_no_training_flags(tmp_path, command):
    text = help_of(tmp_path, command)
    assert {"--experiment-name", "--metric", "--tracking-uri", "--filter", "--scope", "--json"} <= flags_in(text)
    assert not set(TRAIN_FLAGS) & flags_in(text)
    assert len(flags_in(text)) < len(flags_in(help_of(tmp_path, "ci")))


def test_ci_help_marks_required_flags_and_shows_defaults_and_choices(tmp_path):
    text = help_of(tmp_path, "ci")
    assert set(TRAIN_FLAGS) <= flags_in(text)
    assert "(required)" in flag_line(text, "--experiment-name")
    assert "(required)" in flag_line(text, "--metric")
    assert "(required)" not in flag_line(text, "--threshold")
    register = flag_line(text, "--register")
    assert "{auto,always,never}" in register and "default: auto" in register
    scope = flag_line(text, "--scope")
    assert "{experiment,commit,workflow-run}" in scope and "default: experiment" in scope
    assert "REGISTER" not in text  # a choice is shown as its choices, not as a metavar


def test_train_help_does_not_require_a_metric(tmp_path):
    text = help_of(tmp_path, "train")
    assert "(required)" in flag_line(text, "--experiment-name")
    assert "--metric" not in flags_in(text) or "(required)" not in flag_line(text, "--metric")


@pytest.mark.parametrize("command", [c.name for c in params.COMMANDS])
def test_every_command_help_ends_with_an_example_of_that_command(tmp_path, command):
    text = help_of(tmp_path, command)
    example = text[text.index("example:") :]
    assert f"mlflow-ci {command} " in example


def test_the_top_help_lists_the_commands_and_points_to_their_help(tmp_path):
    text = help_of(tmp_path)
    for command in (c.name for c in params.COMMANDS):
        assert re.search(rf"^\s+{re.escape(command)}\s+\S", text, re.M), command
    assert "mlflow-ci <command> --help" in text
