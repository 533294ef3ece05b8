"""`mlflow-ci`: the same program for the composite action, the Docker image and local use."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import MutableMapping, Sequence

from mlflow_ci import __version__, inputs
from mlflow_ci.errors import CIError, GateFailed, InputError, exit_codes_line
from mlflow_ci.github.runner import Runner

EPILOG = (
    "Every flag can also come from INPUT_<NAME> (the composite action maps its inputs to these). " + exit_codes_line()
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError("command line", message, f"see {self.prog} --help")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mlflow-ci", description="Find the best MLflow run, gate it, register it on main.", epilog=EPILOG
    )
    command = inputs.PARAMS_BY_NAME["command"]
    parser.add_argument("command", nargs="?", choices=command.choices, help=command.help)
    for param in inputs.PARAMETERS:
        if param is not command:
            parser.add_argument(
                param.flag, dest=param.attr, metavar=param.attr.upper(), help=param.help.replace("%", "%%")
            )
    parser.add_argument("--json", action="store_true", help="print the outputs as JSON on stdout")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None, environ: MutableMapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    runner = Runner(environ)
    try:
        args = build_parser().parse_args(argv)
        values = inputs.raw_values(vars(args), environ)
        secrets = inputs.secret_values(values, environ)
        for secret in secrets:
            runner.add_mask(secret)
        settings = inputs.parse(values)
        # Imported here so that --help and input errors answer without loading MLflow.
        from mlflow_ci.tracking.client import apply_client_defaults

        apply_client_defaults(environ)
        from mlflow_ci import step

        return step.run(settings, environ, runner, as_json=args.json, secrets=secrets)
    except CIError as exc:
        runner.error(str(exc), exc.title)
        if not isinstance(exc, GateFailed):  # a failed gate has written its full summary already
            with contextlib.suppress(OSError):  # the error may be that the summary cannot be written
                runner.append_summary(f"### ❌ mlflow-ci: {exc.title}\n\n{exc}\n")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
