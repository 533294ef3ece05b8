"""Expected failures: each becomes one ::error:: line and a non-zero exit, never a traceback."""

from __future__ import annotations


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


class ServerError(CIError):
    """The tracking server or registry could not do what was asked."""

    exit_code = 3
    title = "MLflow server"


class GateFailed(CIError):
    """The best run missed the bar."""

    exit_code = 1
    title = "gate failed"


class ReportError(CIError):
    """The report could not be written."""

    exit_code = 1
    title = "report"
