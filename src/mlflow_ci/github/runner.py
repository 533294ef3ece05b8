"""GitHub's runner contract: outputs, step summary, workflow commands (annotations) and masking.

Workflow commands go to stdout on a runner (where the runner reads them) and to stderr elsewhere, so
that `--json` leaves stdout to the JSON. Outputs use the heredoc form with a random delimiter, as
@actions/core does, so any value round-trips through the runner's parser.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Mapping
from typing import TextIO

from mlflow_ci.redact import redact


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class Runner:
    """Writes to the runner: workflow commands, outputs and the step summary."""

    def __init__(self, environ: Mapping[str, str], stream: TextIO | None = None) -> None:
        self.on_github = environ.get("GITHUB_ACTIONS") == "true"
        self._stream = stream
        self._secrets: list[str] = []
        self._output_path = environ.get("GITHUB_OUTPUT", "")
        self._summary_path = environ.get("GITHUB_STEP_SUMMARY", "")

    @property
    def writes_outputs(self) -> bool:
        """Outputs go to GITHUB_OUTPUT (on a runner, or a CI system that sets it), not to the log."""
        return bool(self._output_path)

    @property
    def stream(self) -> TextIO:
        return self._stream or (sys.stdout if self.on_github else sys.stderr)

    def command(self, name: str, message: str, **properties: str) -> None:
        props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items() if v)
        head = f"{name} {props}" if props else name
        print(f"::{head}::{escape_data(redact(message, self._secrets))}", file=self.stream, flush=True)

    def error(self, message: str, title: str = "") -> None:
        self.command("error", message, title=title)

    def warning(self, message: str, title: str = "") -> None:
        self.command("warning", message, title=title)

    def notice(self, message: str, title: str = "") -> None:
        self.command("notice", message, title=title)

    def info(self, message: str) -> None:
        print(redact(message, self._secrets), file=self.stream, flush=True)

    def add_mask(self, value: str) -> None:
        """Hide `value` from everything this runner prints; on GitHub, from the whole job's log too."""
        if not value:
            return
        if self.on_github:
            print(f"::add-mask::{escape_data(value)}", file=self.stream, flush=True)
        self._secrets.append(value)

    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        if not self._output_path:
            return
        with open(self._output_path, "a", encoding="utf-8") as handle:
            for name, value in outputs.items():
                handle.write(format_output(name, value))

    def append_summary(self, markdown: str) -> None:
        if not self._summary_path:
            return
        with open(self._summary_path, "a", encoding="utf-8") as handle:
            handle.write(redact(markdown, self._secrets).rstrip("\n") + "\n")


def format_output(name: str, value: str) -> str:
    """One output in the heredoc form the runner parses; the delimiter never occurs in the value."""
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    while delimiter in value:
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
