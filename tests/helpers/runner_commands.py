"""A port of how GitHub's runner finds workflow commands in a step's output, to check that text a user or a
run controls never becomes one.

From actions/runner: ActionCommand.TryParseV2 (a line that, after its leading whitespace, starts with `::`,
names a registered command and has a second `::`), ActionCommand.TryParse (the old `##[command]` form, found
anywhere in the line), and ActionCommandManager's `::stop-commands::<token>` ... `::<token>::`, between which
nothing is a command. act's own parser (pkg/runner/command.go) is stricter (no leading whitespace), so a line
this port ignores, act ignores too.
"""

from __future__ import annotations

from dataclasses import dataclass

REGISTERED = frozenset(
    {
        "add-mask",
        "add-matcher",
        "add-path",
        "debug",
        "echo",
        "endgroup",
        "error",
        "group",
        "notice",
        "remove-matcher",
        "save-state",
        "set-env",
        "set-output",
        "stop-commands",
        "warning",
    }
)


@dataclass(frozen=True)
class Command:
    name: str
    properties: str
    data: str


def _v2(line: str) -> Command | None:
    message = line.lstrip()
    if not message.startswith("::"):
        return None
    end = message.find("::", 2)
    if end < 0:
        return None
    info = message[2:end]
    name, _, properties = info.partition(" ")
    if name not in REGISTERED:
        return None
    return Command(name, properties.strip(), message[end + 2 :])


def _v1(line: str) -> Command | None:
    start = line.find("##[")
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    name, _, properties = line[start + 3 : end].partition(" ")
    if name not in REGISTERED:
        return None
    return Command(name, properties, line[end + 1 :])


def commands(output: str) -> list[Command]:
    """The commands the runner would act on in `output`, in order (stop-commands honoured, not listed)."""
    found: list[Command] = []
    stop_token = ""
    for line in output.replace("\r\n", "\n").split("\n"):
        if stop_token:
            if line.strip() == f"::{stop_token}::":
                stop_token = ""
            continue
        command = _v2(line) or _v1(line)
        if command is None:
            continue
        if command.name == "stop-commands":
            stop_token = command.data.strip()
            continue
        found.append(command)
    return found


def annotations(output: str) -> list[Command]:
    return [c for c in commands(output) if c.name in ("error", "warning", "notice")]
