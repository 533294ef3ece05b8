"""Off GitHub a person reads the output: plain `error:`/`warning:`/`note:` lines (colour only on a terminal),
the verdict, a compact table of the top runs and the outputs once, in one format. `--json` and the workflow
commands on a runner are unchanged. Against a real `mlflow server`."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys

import pytest

from mlflow_ci import inputs as params
from tests.conftest import ROOT
from tests.helpers import gh
from tests.helpers.cli import ANSI, assert_contract, clean_environ, exit_codes, run_main
from tests.helpers.mlflow_runs import log_run, unique

OUTPUT_NAMES = [output.name for output in params.OUTPUTS]


@pytest.fixture
def news(mlflow_server: str) -> tuple[str, list[str]]:
    """An experiment with three runs; their ids, best first."""
    experiment = unique("news")
    ids = [
        log_run(mlflow_server, experiment, {"accuracy": 0.93}, params={"C": "10"}),
        log_run(mlflow_server, experiment, {"accuracy": 0.91}, model="none", params={"C": "1"}),
        log_run(mlflow_server, experiment, {"accuracy": 0.88}, model="none", params={"C": "0.1"}),
    ]
    return experiment, ids


def gate_args(server: str, experiment: str, *extra: str) -> list[str]:
    return ["gate", "--tracking-uri", server, "--experiment-name", experiment, "--metric", "accuracy", *extra]


def output_lines(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(rf"^\s*{name}\b", line)]


def test_off_github_a_person_reads_the_verdict_the_top_runs_and_the_outputs_once(tmp_path, mlflow_server, news):
    experiment, ids = news
    answer = run_main(gate_args(mlflow_server, experiment, "--threshold", "0.9"), clean_environ(tmp_path))
    assert_contract(answer, exit_codes())
    assert answer.code == 0
    assert "accuracy 0.93 passed the gate" in answer.stdout
    assert not ANSI.search(answer.output)  # not a terminal: no colour
    result = answer.stdout.partition("outputs:")[0]
    table = [line for line in result.splitlines() if any(run_id[:8] in line for run_id in ids)]
    assert len(table) == 3 and all(re.search(r"\b\d\d:\d\d\b", row) for row in table)  # short id and time per row
    assert ["0.93" in table[0], "0.91" in table[1], "0.88" in table[2]] == [True] * 3
    # The outputs once, in one format: each output that has a value on one line; empty ones left out.
    for name in OUTPUT_NAMES:
        assert len(output_lines(answer.stdout, name)) <= 1, name
    assert len(output_lines(answer.stdout, "run_id")) == 1 and ids[0] in output_lines(answer.stdout, "run_id")[0]
    assert output_lines(answer.stdout, "model_version") == []  # empty: not shown
    assert not re.search(r"^\s*\w+=$", answer.output, re.M)
    assert "{" not in answer.stdout  # no JSON beside it
    # Notes are plain `note:` lines on stderr.
    assert re.search(r"^note: accuracy 0.93 meets the threshold 0.9", answer.stderr, re.M)


def test_a_failed_gate_off_github_is_one_error_line_and_the_verdict(tmp_path, mlflow_server, news):
    experiment, _ = news
    answer = run_main(gate_args(mlflow_server, experiment, "--threshold", "0.99"), clean_environ(tmp_path))
    assert_contract(answer, exit_codes())
    assert answer.code == 1
    assert answer.error.startswith("error: ") and "misses the threshold 0.99" in answer.error
    assert "failed the gate" in answer.stdout


def test_json_is_unchanged_only_the_outputs_on_stdout(tmp_path, mlflow_server, news):
    experiment, ids = news
    answer = run_main(gate_args(mlflow_server, experiment, "--threshold", "0.9", "--json"), clean_environ(tmp_path))
    assert answer.code == 0
    document = json.loads(answer.stdout)
    assert list(document) == OUTPUT_NAMES and document["run_id"] == ids[0] and document["passed"] == "true"
    assert not any(line.startswith("::") for line in answer.stderr.splitlines())


def test_on_github_the_workflow_commands_are_unchanged(tmp_path, mlflow_server, news):
    experiment, _ = news
    step = gh.step_env(tmp_path / "step", "pull_request", gh.pull_request_event())
    args = ["ci", "--tracking-uri", mlflow_server, "--experiment-name", experiment, "--metric", "accuracy"]
    answer = run_main(
        [*args, "--model-name", unique("M"), "--threshold", "0.99"], {**clean_environ(tmp_path), **step.environ}
    )
    assert answer.code == 1
    assert answer.errors[0].startswith("::error title=gate failed::")
    assert not re.search(r"^(error|warning|note): ", answer.output, re.M)


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """Run the CLI with a pseudo-terminal as stdout and stderr; what it wrote there."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow_ci", *argv],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env={**env, "PYTHONPATH": str(ROOT / "src")},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_colour_only_on_a_terminal_and_never_with_no_color(tmp_path):
    argv = ["best-run", "--experiment-name", "e", "--metric", "m", "--threshold", "high"]
    coloured = _on_a_terminal(argv, clean_environ(tmp_path))
    assert "\x1b[" in coloured and "error" in ANSI.sub("", coloured)
    assert "input 'threshold'" in ANSI.sub("", coloured)
    plain = _on_a_terminal(argv, {**clean_environ(tmp_path), "NO_COLOR": "1"})
    assert "\x1b[" not in plain and "error: input 'threshold'" in plain
