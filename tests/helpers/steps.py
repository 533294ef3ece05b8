"""Run the CLI in-process as one workflow step on a runner, and read what the runner would."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from mlflow_ci import cli
from tests.helpers import gh
from tests.helpers.mlflow_runs import unique


@dataclass
class Step:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    environ: dict[str, str]

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]


def flags(command: str, experiment: str, metric: str = "accuracy", **options: str) -> list[str]:
    """A command line: flags("gate", "exp", model_name="m") -> gate --experiment-name exp ... --model-name m."""
    args = [command, "--experiment-name", experiment, "--metric", metric]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", value]
    return args


def run_cli_step(
    root: Path, args: list[str], event_name: str = "push", event: dict | None = None, env: dict[str, str] | None = None
) -> Step:
    """`args` as the step's command line; `env` adds to the runner's variables (INPUT_*, GITHUB_API_URL...)."""
    step = gh.step_env(root / unique("step"), event_name, event if event is not None else gh.push_event("main"))
    environ = {**step.environ, **(env or {})}
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(args, environ)
    return Step(code, out.getvalue(), err.getvalue(), step.outputs(), step.summary(), environ)


def run_step(
    tmp_path: Path,
    server: str,
    args: list[str],
    event_name: str = "push",
    event: dict | None = None,
    extra_env: dict[str, str] | None = None,
) -> Step:
    """The same, against the tracking server `server`."""
    return run_cli_step(tmp_path, ["--tracking-uri", server, *args], event_name, event, extra_env)
