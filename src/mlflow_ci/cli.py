"""`mlflow-ci`: the same program for the composite action, the Docker image and local use.

`mlflow-ci --help` lists the commands; `mlflow-ci <command> --help` shows the flags that command reads (from
the Command table), the required ones marked, with their defaults, choices and an example. Every flag is
accepted by every command, as INPUT_* variables are, so one environment serves all of them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import re
import sys
from collections.abc import MutableMapping, Sequence
from typing import NoReturn

from mlflow_ci import __version__, inputs
from mlflow_ci.errors import CIError, GateFailed, UsageError, exit_codes_line
from mlflow_ci.github.runner import Runner
from mlflow_ci.suggest import did_you_mean

ENVIRONMENT = "Every flag can also come from INPUT_<NAME> (the composite action maps its inputs to these)."


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}: see {self.prog} --help")


def _metavar(param: inputs.Param) -> str:
    if param.choices:
        return "{" + ",".join(param.choices) + "}"
    if param.kind == "bool":
        return "{true,false}"
    return "NUMBER" if param.kind == "float" else param.attr.upper()


def _help(param: inputs.Param, command: inputs.Command) -> str:
    text = param.help.replace("%", "%%")
    if command.requires(param):  # said up front, instead of the table's sentence for every command
        text = "(required) " + re.sub(r" Required[^.]*\.$", "", text)
    return f"{text} (default: {param.default})" if param.default else text


def build_parser(command: inputs.Command | None = None) -> argparse.ArgumentParser:
    """The parser for `command` (its help shows the flags it reads), or for `mlflow-ci` itself (the commands)."""
    if command is None:
        width = max(len(c.name) for c in inputs.COMMANDS)
        listing = "\n".join(f"  {c.name:<{width}}  {c.summary}" for c in inputs.COMMANDS)
        parser = _Parser(
            prog="mlflow-ci",
            usage="mlflow-ci [<command>] [flags]",
            description="Find the best MLflow run, gate it, register it on main.\n\ncommands (default: ci):\n"
            + listing
            + "\n\nRun `mlflow-ci <command> --help` for the flags a command reads.\n\nexample:\n  "
            + inputs.COMMANDS_BY_NAME["ci"].example,
            epilog=f"{ENVIRONMENT} {exit_codes_line()}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )
    else:
        required = " ".join(f"{p.flag} {_metavar(p)}" for p in inputs.PARAMETERS if command.requires(p))
        parser = _Parser(
            prog=f"mlflow-ci {command.name}",
            usage=f"mlflow-ci {command.name} {required} [flags]".replace("  ", " "),
            description=command.summary[:1].upper() + command.summary[1:] + ".",
            epilog=f"example:\n  {command.example}\n\n{ENVIRONMENT}\n{exit_codes_line()}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )
    for param in inputs.PARAMETERS:
        if param.name != "command":
            shown = command is not None and command.reads(param)
            parser.add_argument(
                param.flag,
                dest=param.attr,
                metavar=_metavar(param),
                help=_help(param, command) if shown and command else argparse.SUPPRESS,
            )
    parser.add_argument("--json", action="store_true", help="print the outputs as JSON on stdout")
    parser.add_argument("--version", action="version", version=f"mlflow-ci {__version__}")
    return parser


def _flags() -> list[str]:
    return [p.flag for p in inputs.PARAMETERS if p.name != "command"] + ["--json", "--version", "--help"]


def _hint(word: str, known: Sequence[str]) -> str:
    suggestion = did_you_mean(word, known)
    return f": {suggestion}" if suggestion else ""


def _command_word(argv: list[str]) -> int | None:
    """Where the command is: the first word that is not a flag or a flag's value (flags may come first)."""
    valued = {p.flag for p in inputs.PARAMETERS}
    index = 0
    while index < len(argv):
        word = argv[index]
        if not word.startswith("-"):
            return index
        following = argv[index + 1] if index + 1 < len(argv) else ""
        # An unknown flag most likely takes a value too (--metrc accuracy), unless a command follows it.
        unknown = word.startswith("--") and "=" not in word and word not in _flags()
        index += 2 if word in valued or (unknown and following not in inputs.COMMANDS_BY_NAME) else 1
    return None


def _split_command(argv: list[str], environ: MutableMapping[str, str]) -> tuple[inputs.Command | None, list[str]]:
    """The command (its word, else INPUT_COMMAND, else ci) and the other words; None for `mlflow-ci --help`."""
    at = _command_word(argv)
    if at is not None:
        name, rest = argv[at], argv[:at] + argv[at + 1 :]
        if name not in inputs.COMMANDS_BY_NAME:
            names = [c.name for c in inputs.COMMANDS]
            raise UsageError(f"unknown command '{name}'{_hint(name, names)} (commands: {', '.join(names)})")
        return inputs.COMMANDS_BY_NAME[name], rest
    if any(arg in ("-h", "--help") for arg in argv):
        return None, argv
    name = (environ.get("INPUT_COMMAND") or "").strip()
    return inputs.COMMANDS_BY_NAME.get(name), argv


def parse_args(argv: Sequence[str], environ: MutableMapping[str, str]) -> tuple[dict[str, str | None], bool]:
    """The flags' values by attribute name (the command included, when given), and --json."""
    command, rest = _split_command(list(argv), environ)
    parser = build_parser(command)
    args, extra = parser.parse_known_args(rest)
    if extra:
        word = extra[0]
        shown = f"mlflow-ci {command.name}" if command else "mlflow-ci"
        if word.startswith("-"):
            flag = word.split("=", 1)[0]
            raise UsageError(f"unknown flag {flag}{_hint(flag, _flags())} (see {shown} --help)")
        raise UsageError(f"unexpected argument '{word}' (a flag's value goes right after it): see {shown} --help")
    values = vars(args)
    if command is not None and len(rest) < len(argv):  # the command was on the command line
        values["command"] = command.name
    return values, bool(values.pop("json"))


def main(argv: Sequence[str] | None = None, environ: MutableMapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    runner = Runner(environ)
    try:
        values, as_json = parse_args(sys.argv[1:] if argv is None else argv, environ)
        raw = inputs.raw_values(values, environ)
        secrets = inputs.secret_values(raw, environ)
        for secret in secrets:
            runner.add_mask(secret)
        settings = inputs.parse(raw)
        # Imported here so that --help and input errors answer without loading MLflow.
        from mlflow_ci.tracking.client import apply_client_defaults

        apply_client_defaults(environ)
        from mlflow_ci import step

        return step.run(settings, environ, runner, as_json=as_json, secrets=secrets)
    except CIError as exc:
        runner.error(str(exc), exc.title)
        if not isinstance(exc, GateFailed):  # a failed gate has written its full summary already
            with contextlib.suppress(OSError):  # the error may be that the summary cannot be written
                runner.append_summary(f"### ❌ mlflow-ci: {exc.title}\n\n{exc}\n")
        return exc.exit_code


def run_and_exit() -> NoReturn:
    """The program: `main`, then an exit without the interpreter's last garbage collections. They walk the
    cycles of the ~3,000 modules MLflow, pandas and scikit-learn load, 0.8 s of every step's wall time
    (docs/benchmarks.md), and free nothing a process about to end needs freed. Files are still closed,
    atexit handlers and threads still run and joined."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run_and_exit()
