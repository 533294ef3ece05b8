"""The CLI as a user meets it: in process with captured streams, or as `python -m mlflow_ci` in a child, and
the contract every answer keeps (exit code from the table, one error line, no traceback, no secret)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from mlflow_ci import cli
from tests.conftest import ROOT

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Answer:
    code: int
    stdout: str
    stderr: str
    on_github: bool = False

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def errors(self) -> list[str]:
        """The error lines: `::error` on a runner (stdout), `error:` elsewhere (stderr), colour stripped."""
        if self.on_github:
            return [line for line in self.stdout.splitlines() if line.startswith("::error")]
        return [line for line in ANSI.sub("", self.stderr).splitlines() if line.startswith("error:")]

    @property
    def error(self) -> str:
        """The one error line (fails the test when there is not exactly one)."""
        assert len(self.errors) == 1, f"expected one error line, got {self.errors!r} in:\n{self.output[-3000:]}"
        return self.errors[0]


def clean_environ(home: Path) -> dict[str, str]:
    """A user's shell off GitHub: no GITHUB_*, INPUT_* or MLFLOW_* variables, MLflow's output quiet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MLFLOW_", "RUNNER_"))}
    env.update(HOME=str(home), MLFLOW_DISABLE_TELEMETRY="true", MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT="true")
    env.pop("NO_COLOR", None)
    env.pop("FORCE_COLOR", None)
    return env


def run_main(argv: list[str], environ: dict[str, str]) -> Answer:
    """`mlflow_ci.cli.main` in this process; an exception escaping main fails the test as it should."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(argv, environ)
        except SystemExit as exc:  # argparse's --help and --version
            code = exc.code if isinstance(exc.code, int) else 0
    return Answer(code, out.getvalue(), err.getvalue(), environ.get("GITHUB_ACTIONS") == "true")


def run_process(argv: list[str], environ: dict[str, str], cwd: Path | None = None, timeout: float = 180) -> Answer:
    """`python -m mlflow_ci` in a child process, as a user's shell runs it."""
    env = {**environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "mlflow_ci", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=timeout,
    )
    return Answer(done.returncode, done.stdout, done.stderr, environ.get("GITHUB_ACTIONS") == "true")


def files_under(root: Path) -> set[str]:
    """Every path under `root`, relative: to prove that a command created nothing."""
    return {str(path.relative_to(root)) for path in root.rglob("*")}


def assert_contract(answer: Answer, codes: set[int], secrets: tuple[str, ...] = ()) -> None:
    """What every answer keeps: a documented exit code, one error line exactly when it failed (and on a
    runner, workflow commands only there; elsewhere none), no traceback, no secret."""
    assert answer.code in codes, f"exit {answer.code} is not in the table {sorted(codes)}:\n{answer.output[-3000:]}"
    assert "Traceback (most recent call last)" not in answer.output, answer.output[-5000:]
    if answer.code == 0:
        assert answer.errors == [], answer.output[-3000:]
    else:
        assert len(answer.errors) == 1, f"exit {answer.code}, error lines {answer.errors!r}:\n{answer.output[-3000:]}"
    if not answer.on_github:
        commands = [line for line in answer.output.splitlines() if line.startswith("::")]
        assert commands == [], f"workflow commands off GitHub: {commands!r}"
    for secret in secrets:
        shown = [line for line in answer.output.splitlines() if secret in line]
        assert shown in ([], [f"::add-mask::{secret}"]), f"secret printed: {shown!r}"


def exit_codes() -> set[int]:
    """The exit codes the table in errors.py documents (0 included)."""
    from mlflow_ci.errors import EXIT_CODES

    return set(EXIT_CODES)
