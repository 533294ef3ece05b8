"""GitHub's runner contract: outputs, step summary, workflow commands (annotations) and masking.

Workflow commands go to stdout on a runner, where the runner reads them. Elsewhere a person reads the
output: errors, warnings and notices are plain `error:`/`warning:`/`note:` lines on stderr (coloured on a
terminal unless NO_COLOR is set), so that stdout holds the result alone (`--json`: the JSON). Outputs use
the heredoc form with a random delimiter, as @actions/core does, so any value round-trips through the
runner's parser.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Mapping
from typing import TextIO

from mlflow_ci.errors import RunnerError
from mlflow_ci.redact import redact

# Off GitHub, what each workflow command becomes: a prefix and its colour (SGR codes) on a terminal.
PLAIN_PREFIXES = {"error": ("error", "1;31"), "warning": ("warning", "1;33"), "notice": ("note", "1;36")}


def looks_like_command(line: str) -> bool:
    """Whether the runner would try `line` as a workflow command: `::` after leading whitespace (the current
    syntax), or `##[` anywhere (the old one)."""
    return line.lstrip().startswith("::") or "##[" in line


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
        self._no_color = bool(environ.get("NO_COLOR"))

    @property
    def writes_outputs(self) -> bool:
        """Outputs go to GITHUB_OUTPUT (on a runner, or a CI system that sets it), not to the log."""
        return bool(self._output_path)

    @property
    def stream(self) -> TextIO:
        return self._stream or (sys.stdout if self.on_github else sys.stderr)

    @property
    def result_stream(self) -> TextIO:
        """Where the step's result (verdict, runs, outputs) goes: the log on a runner, else stdout."""
        return self._stream or sys.stdout

    def command(self, name: str, message: str, **properties: str) -> None:
        if not self.on_github and name in PLAIN_PREFIXES:
            self._plain(name, message)
            return
        props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items() if v)
        head = f"{name} {props}" if props else name
        print(f"::{head}::{escape_data(redact(message, self._secrets))}", file=self.stream, flush=True)

    def error(self, message: str, title: str = "") -> None:
        self.command("error", message, title=title)

    def warning(self, message: str, title: str = "") -> None:
        self.command("warning", message, title=title)

    def notice(self, message: str, title: str = "") -> None:
        self.command("notice", message, title=title)

    def _plain(self, name: str, message: str) -> None:
        prefix, colour = PLAIN_PREFIXES[name]
        stream = self.stream
        if not self._no_color and getattr(stream, "isatty", lambda: False)():
            prefix = f"\x1b[{colour}m{prefix}\x1b[0m"
        text = " ".join(redact(message, self._secrets).splitlines())
        print(f"{prefix}: {text}", file=stream, flush=True)

    def colour(self, text: str, sgr: str) -> str:
        """`text` in colour when the result goes to a terminal (and NO_COLOR is unset)."""
        tty = getattr(self.result_stream, "isatty", lambda: False)()
        return f"\x1b[{sgr}m{text}\x1b[0m" if tty and not self._no_color and not self.on_github else text

    def say(self, message: str) -> None:
        """A line of the result: to the log on a runner, to stdout elsewhere."""
        print(redact(message, self._secrets), file=self.result_stream, flush=True)

    def note(self, message: str) -> None:
        """Something worth knowing: a log line on a runner (not an annotation), a `note:` line elsewhere."""
        if self.on_github:
            self.info(message)
        else:
            self._plain("notice", message)

    def info(self, message: str) -> None:
        """A plain log line. Text in it may come from users or runs (run names, params, a child's output), so
        a line the runner would read as a workflow command is printed between `::stop-commands::` and its
        resume token: shown in the log, never obeyed."""
        text = redact(message, self._secrets)
        if any(looks_like_command(line) for line in text.splitlines()):
            token = uuid.uuid4().hex
            text = f"::stop-commands::{token}\n{text.rstrip(chr(10))}\n::{token}::"
        print(text, file=self.stream, flush=True)

    def child_output(self, line: str) -> None:
        """One line of a child process's output (train-command, dvc), as it comes."""
        self.info(line.rstrip("\n"))

    def check_files(self) -> None:
        """Before anything else: the output and summary files can be written (the step must not promote a
        model, then fail to say so)."""
        for variable, path in (("GITHUB_OUTPUT", self._output_path), ("GITHUB_STEP_SUMMARY", self._summary_path)):
            if not path:
                continue
            try:
                with open(path, "a", encoding="utf-8"):
                    pass
            except OSError as exc:
                raise RunnerError(
                    f"cannot write {path} ({variable}): {exc.strerror or exc}: the runner creates it for each "
                    "step; check that no earlier step removed it or its directory, or changed its permissions"
                ) from None

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
