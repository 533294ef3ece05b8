"""One way to run a child process: which variables it sees, where it is found, its output and its time limit.

Children never get the step's inputs (they may hold secrets), GitHub's tokens or the runner's own
credentials for caches, artifacts and OIDC.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlflow_ci.errors import CIError
from mlflow_ci.redact import output_tail

DROPPED_PREFIXES = ("INPUT_", "ACTIONS_ID_TOKEN_REQUEST_")
DROPPED_NAMES = frozenset(
    {
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "ACTIONS_RUNTIME_URL",
        "ACTIONS_CACHE_URL",
        "ACTIONS_RESULTS_URL",
        "MLFLOW_CI_PYTHON",
        "MLFLOW_RUN_ID",
        "MLFLOW_EXPERIMENT_ID",
    }
)


def clean_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` without the inputs, GitHub's tokens and the runner's credentials."""
    return {k: v for k, v in environ.items() if k not in DROPPED_NAMES and not k.startswith(DROPPED_PREFIXES)}


def which(name: str, env: Mapping[str, str]) -> str | None:
    """The executable as the child's PATH finds it."""
    return shutil.which(name, path=env.get("PATH", os.defpath))


@dataclass(frozen=True)
class Finished:
    code: int
    stdout: str
    stderr: str

    def said(self, lines: int = 6) -> str:
        """Its last lines (stderr, then stdout), on one line and without URL credentials."""
        return output_tail(self.stderr + "\n" + self.stdout, lines)


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    what: str,
    error: Callable[[str], CIError],
    hint: str = "",
) -> Finished:
    """Run to completion, capturing text output; a child that cannot start or outlives `timeout` is `error`,
    its message naming `what` ran."""
    suffix = f": {hint}" if hint else ""
    try:
        done = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise error(f"{what} did not finish within {timeout:g} s{suffix}") from None
    except OSError as exc:
        raise error(f"{what} could not start in {cwd} ({exc.strerror or exc}){suffix}") from None
    return Finished(done.returncode, done.stdout, done.stderr)


def stream(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    write: Callable[[str], None],
    what: str,
    error: Callable[[str], CIError],
    hint: str = "",
) -> int:
    """Run with stdout and stderr passed line by line to `write` as they come; returns the exit code. A
    cancelled step takes the child down with it."""
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise error(f"{what} could not start in {cwd} ({exc.strerror or exc}): {hint}") from None
    assert process.stdout is not None
    try:
        for line in iter(process.stdout.readline, b""):
            write(line.decode("utf-8", errors="replace"))
        return process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
