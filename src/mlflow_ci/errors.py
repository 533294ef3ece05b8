"""Every expected failure and its exit code: one ::error:: line and a non-zero exit, never a traceback.

EXIT_CODES is the one table the README's exit-code line and `--help` are generated from.
"""

from __future__ import annotations

EXIT_CODES: dict[int, str] = {
    0: "ok",
    1: "the gate failed, nothing to pick, or training, DVC or the report failed",
    2: "bad input, or a runner the step cannot use (unwritable outputs or summary, unreadable event payload)",
    3: "MLflow server or registry error",
}


def exit_codes_line() -> str:
    return "Exit codes: " + ", ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()) + "."


class CIError(Exception):
    """An expected failure with a message fit for the user."""

    exit_code = 1
    title = "mlflow-ci"


class InputError(CIError):
    """A parameter is wrong: the message names it and the fix."""

    exit_code = 2

    def __init__(self, name: str, problem: str, fix: str) -> None:
        super().__init__(f"input '{name}' {problem}: {fix}.")
        self.input_name = name
        self.title = f"input {name}"


class RunnerError(CIError):
    """The runner's files cannot be used: outputs or summary unwritable, the event payload unreadable."""

    exit_code = 2
    title = "runner"


class ServerError(CIError):
    """The tracking server or registry could not do what was asked."""

    exit_code = 3
    title = "MLflow server"


class GateFailed(CIError):
    """The best run missed the bar."""

    title = "gate failed"


class NoRunFound(CIError):
    title = "no run found"


class NoModel(CIError):
    title = "no logged model"


class TrainFailed(CIError):
    title = "train-command failed"


class CandidateFailed(CIError):
    title = "sweep candidate failed"


class DvcError(CIError):
    title = "dvc"


class PullFailed(DvcError):
    title = "dvc pull"


class LockCommitFailed(CIError):
    title = "dvc-commit-lock"


class ReportError(CIError):
    """The report could not be written."""

    title = "report"
