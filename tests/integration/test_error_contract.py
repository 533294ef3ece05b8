"""Expected failures as a user sees them from the real process: one ::error:: line naming the input or the
cause and the fix, a non-zero exit, no traceback, no secret, nothing written to the registry."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from mlflow import MlflowClient

from tests.helpers import gh
from tests.helpers.mlflow_runs import log_run, unique
from tests.helpers.servers import free_port

SECRET = "pa55-w0rd-never-shown"


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mlflow_ci", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def on_github(env: dict[str, str], tmp_path, event_name="push", event=None) -> dict[str, str]:
    step = gh.step_env(tmp_path, event_name, event or gh.push_event("main"))
    return {**env, **step.environ}


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("::error")]


@pytest.mark.parametrize(
    "args,input_name",
    [
        (["--threshold", "high"], "threshold"),
        (["--greater-is-better", "yes"], "greater-is-better"),
        (["--scope", "branch"], "scope"),
        (["--stage", "Prod"], "stage"),
        (["--experiment-name", ""], "experiment-name"),
    ],
)
def test_bad_input_is_one_error_line_before_anything_runs(
    tmp_path, mlflow_server, cli_subprocess_env, args, input_name
):
    model_name = unique("Model")
    base = [
        "ci",
        "--tracking-uri",
        mlflow_server,
        "--experiment-name",
        "e",
        "--metric",
        "accuracy",
        "--model-name",
        model_name,
    ]
    result = run_cli([*base, *args], on_github(cli_subprocess_env, tmp_path))
    assert result.returncode == 2
    assert len(error_lines(result.stdout)) == 1
    assert error_lines(result.stdout)[0].startswith(f"::error title=input {input_name}::input '{input_name}' ")
    assert "Traceback" not in result.stdout + result.stderr
    assert MlflowClient(mlflow_server).search_registered_models(f"name='{model_name}'") == []


def test_unknown_command_line_option(cli_subprocess_env):
    result = run_cli(["ci", "--no-such-flag", "1"], cli_subprocess_env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == ["error: unknown flag --no-such-flag (see mlflow-ci ci --help)"]


def test_unreachable_server_fails_fast_and_names_the_uri_without_credentials(tmp_path, cli_subprocess_env):
    closed = f"http://ci-bot:{SECRET}@127.0.0.1:{free_port()}"
    env = {**on_github(cli_subprocess_env, tmp_path), "MLFLOW_TRACKING_PASSWORD": SECRET}
    started = time.monotonic()
    result = run_cli(["best-run", "--tracking-uri", closed, "--experiment-name", "e", "--metric", "m"], env)
    elapsed = time.monotonic() - started
    assert result.returncode == 3
    assert elapsed < 30, f"took {elapsed:.1f} s"
    lines = error_lines(result.stdout)
    assert len(lines) == 1 and "cannot reach the MLflow tracking server at http://127.0.0.1:" in lines[0]
    assert "check tracking-uri" in lines[0]
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    # The only place the secret appears is the mask command, which the runner itself swallows.
    assert output.count(SECRET) == 1 and f"::add-mask::{SECRET}" in result.stdout


def test_secrets_never_reach_outputs_or_summary(tmp_path, mlflow_server, cli_subprocess_env):
    experiment = unique("exp")
    log_run(mlflow_server, experiment, {"accuracy": 0.9})
    host = mlflow_server.removeprefix("http://")
    env = {**on_github(cli_subprocess_env, tmp_path), "MLFLOW_TRACKING_TOKEN": SECRET}
    result = run_cli(
        [
            "best-run",
            "--tracking-uri",
            f"http://bot:{SECRET}@{host}",
            "--experiment-name",
            experiment,
            "--metric",
            "accuracy",
        ],
        env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    written = (tmp_path / "output.txt").read_text() + (tmp_path / "summary.md").read_text()
    assert SECRET not in written and SECRET not in result.stderr
    assert [line for line in result.stdout.splitlines() if SECRET in line] == [f"::add-mask::{SECRET}"]
    assert "run_url<<" in (tmp_path / "output.txt").read_text()
    assert mlflow_server in (tmp_path / "output.txt").read_text()  # the URL, credentials stripped


def test_help_answers_without_a_server(cli_subprocess_env):
    result = run_cli(["--help"], cli_subprocess_env)
    assert result.returncode == 0 and "--experiment-name" in result.stdout and "Exit codes" in result.stdout


def test_json_prints_only_json_on_stdout(tmp_path, mlflow_server, cli_subprocess_env):
    import json

    experiment = unique("exp")
    run_id = log_run(mlflow_server, experiment, {"accuracy": 0.9})
    result = run_cli(
        [
            "best-run",
            "--tracking-uri",
            mlflow_server,
            "--experiment-name",
            experiment,
            "--metric",
            "accuracy",
            "--json",
        ],
        cli_subprocess_env,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["run_id"] == run_id
