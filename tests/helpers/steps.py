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

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]


def run_step(
    tmp_path: Path,
    server: str,
    args: list[str],
    event_name: str = "push",
    event: dict | None = None,
    extra_env: dict[str, str] | None = None,
) -> Step:
    step = gh.step_env(tmp_path / unique("step"), event_name, event if event is not None else gh.push_event("main"))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--tracking-uri", server, *args], {**step.environ, **(extra_env or {})})
    return Step(code, out.getvalue(), err.getvalue(), step.outputs(), step.summary())
