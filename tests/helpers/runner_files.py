"""A port of the GitHub runner's parser for GITHUB_OUTPUT-style files (FileCommandManager.cs,
EnvFileKeyValuePairs), so tests read outputs the way the runner does, errors included."""

from __future__ import annotations


class RunnerParseError(ValueError):
    pass


def parse_env_file(text: str) -> dict[str, str]:
    lines = text.split("\n")  # on Linux the runner splits on LF only
    values: dict[str, str] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line == "":
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, value = line[:equals], line[equals + 1 :]
            if not name:
                raise RunnerParseError(f"Invalid format '{line}'. Name must not be empty")
            values[name] = value
            continue
        if heredoc < 0:
            raise RunnerParseError(f"Invalid format '{line}'")
        name, delimiter = line[:heredoc], line[heredoc + 2 :]
        if not name or not delimiter:
            raise RunnerParseError(f"Invalid format '{line}'")
        body: list[str] = []
        while True:
            if index >= len(lines):
                raise RunnerParseError(f"Invalid value. Matching delimiter not found '{delimiter}'")
            candidate = lines[index]
            index += 1
            if candidate == delimiter:
                break
            body.append(candidate)
        values[name] = "\n".join(body)
    return values
