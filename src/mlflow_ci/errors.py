"""Every expected failure and its exit code: one ::error:: line and a non-zero exit, never a traceback.

EXIT_CODES is the one table the README's exit-code line and `--help` are generated from.
"""

from __future__ import annotations

EXIT_CODES: dict[int, str] = {
    0: "ok",
    1: "the gate failed or there is nothing to pick (no run with the metric, no logged model)",
    2: "bad input, or a runner the step cannot use (unwritable outputs or summary, unreadable event payload)",
    3: "MLflow server or registry error",
    4: "training failed (train-command, a sweep candidate, DVC)",
    5: "the report or the dvc.lock commit could not be written",
}
TRAINING_FAILED, WRITE_FAILED = 4, 5


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
        end = "" if fix.endswith(("?", ".")) else "."
        super().__init__(f"input '{name}' {problem}: {fix}{end}")
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
    exit_code = TRAINING_FAILED
    title = "train-command failed"


class CandidateFailed(CIError):
    exit_code = TRAINING_FAILED
    title = "sweep candidate failed"


class DvcError(CIError):
    exit_code = TRAINING_FAILED
    title = "dvc"


class PullFailed(DvcError):
    title = "dvc pull"


class LockCommitFailed(CIError):
    exit_code = WRITE_FAILED
    title = "dvc-commit-lock"


class ReportError(CIError):
    """The report could not be written."""

    exit_code = WRITE_FAILED
    title = "report"


class UsageError(CIError):
    """The command line itself is wrong: an unknown flag or command (with the closest one, when there is one)."""

    exit_code = 2
    title = "command line"
