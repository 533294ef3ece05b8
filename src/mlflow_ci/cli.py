"""`mlflow-ci`: the same program for the composite action, the Docker image and local use."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING

from mlflow_ci import __version__, params
from mlflow_ci.errors import CIError, GateFailed, InputError, ReportError
from mlflow_ci.github import Context, Runner, load_context
from mlflow_ci.redact import redact
from mlflow_ci.result import Result

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from mlflow_ci.training import TrainReport
    from mlflow_ci.ui_links import UiLinks

EPILOG = (
    "Every flag can also come from INPUT_<NAME> (the composite action maps its inputs to these). "
    "Exit codes: 0 ok, 1 gate failed or nothing to pick, 2 bad input, 3 MLflow server or registry error."
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError("command line", message, f"see {self.prog} --help")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mlflow-ci", description="Find the best MLflow run, gate it, register it on main.", epilog=EPILOG
    )
    command = params.PARAMS_BY_NAME["command"]
    parser.add_argument("command", nargs="?", choices=command.choices, help=command.help)
    for param in params.PARAMETERS:
        if param is not command:
            parser.add_argument(
                param.flag, dest=param.attr, metavar=param.attr.upper(), help=param.help.replace("%", "%%")
            )
    parser.add_argument("--json", action="store_true", help="print the outputs as JSON on stdout")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _quiet_libraries() -> None:
    for name in ("mlflow", "alembic", "urllib3", "github"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None, environ: MutableMapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    runner = Runner(environ)
    try:
        args = build_parser().parse_args(argv)
        values = params.raw_values(vars(args), environ)
        secrets = params.secret_values(values, environ)
        for secret in secrets:
            runner.add_mask(secret)
        settings = params.parse(values)
        return _run(settings, environ, runner, args.json, secrets)
    except CIError as exc:
        runner.error(str(exc), exc.title)
        if not isinstance(exc, GateFailed):  # a failed gate has written its full summary already
            runner.append_summary(f"### ❌ mlflow-ci: {exc.title}\n\n{exc}\n")
        return exc.exit_code


def _run(
    settings: params.Settings, environ: MutableMapping[str, str], runner: Runner, as_json: bool, secrets: list[str]
) -> int:
    # Imported here so that --help and input errors answer without loading MLflow.
    from mlflow_ci import tracking

    tracking.apply_client_defaults(environ)
    from mlflow import MlflowClient

    from mlflow_ci import pipeline, report
    from mlflow_ci.ui_links import UiLinks

    _quiet_libraries()
    ctx = load_context(environ)
    client = MlflowClient(tracking_uri=settings.tracking_uri)
    links = UiLinks.for_server(settings.tracking_uri, params.databricks_host(settings.tracking_uri, environ))
    trained = _train(settings, ctx, client, environ, runner, links) if settings.trains else None
    if trained is not None and settings.command == "train":
        _print_train_outputs(runner, trained, as_json, environ)
        _commit_lock(settings, ctx, runner, environ)
        return 0
    with tracking.server_errors(settings.tracking_uri):
        result = pipeline.run(settings, ctx, client, links)
    result.trained_run_ids = trained.run_ids if trained else []
    # Also out of the PR comment and the report files, which the runner's masking never sees.
    markdown = redact(report.summary_markdown(result), secrets)
    runner.append_summary(markdown)
    result.report_path = _write_report_files(settings, ctx, runner, result, markdown, secrets)
    result.comment_url = _comment(settings, ctx, runner, markdown)
    outputs = result.outputs()
    runner.set_outputs(outputs)
    _print_result(runner, outputs, report.verdict(result), as_json, environ)
    for note in [*(result.gate.notes if result.gate else ()), *result.notes]:
        runner.info(note)
    if result.register_reason and not result.registered and settings.command != "report":
        runner.notice(f"not registered: {result.register_reason}")
    if result.gate_failed and settings.command != "report":
        failure = GateFailed("; ".join(result.gate.reasons) if result.gate else "")
        if settings.fail_on_gate:
            raise failure
        runner.warning(f"{failure} (fail-on-gate: false, so the step goes on)", failure.title)
    _commit_lock(settings, ctx, runner, environ)
    return 0


def _train(
    settings: params.Settings,
    ctx: Context,
    client: MlflowClient,
    environ: MutableMapping[str, str],
    runner: Runner,
    links: UiLinks | None,
) -> TrainReport:
    """The train step (user command, sweep), and its table in the step summary."""
    from mlflow_ci import report, tracking, training
    from mlflow_ci.ui_links import run_url

    def write(text: str) -> None:
        runner.stream.write(text)
        runner.stream.flush()

    with tracking.server_errors(settings.tracking_uri):
        trained = training.run(settings, ctx, client, environ, write, runner.warning)
    runner.append_summary(
        report.training_markdown(trained, lambda run_id: run_url(links, trained.experiment_id, run_id))
    )
    return trained


def _print_train_outputs(runner: Runner, trained: TrainReport, as_json: bool, environ: Mapping[str, str]) -> None:
    """`train` alone: the outputs it knows (the experiment and the trained runs), the rest empty."""
    outputs = {output.name: "" for output in params.OUTPUTS}
    outputs.update(experiment_id=trained.experiment_id, trained_run_ids=",".join(trained.run_ids))
    runner.set_outputs(outputs)
    shown = outputs if as_json else {name: value for name, value in outputs.items() if value}
    _print_result(runner, shown, f"trained {len(trained.run_ids)} runs", as_json, environ)


def _commit_lock(settings: params.Settings, ctx: Context, runner: Runner, environ: Mapping[str, str]) -> None:
    """dvc-commit-lock, once the step has succeeded."""
    from mlflow_ci import dvc, lock_commit

    workspace = ctx.workspace_dir
    if settings.dvc_commit_lock and settings.trains and dvc.enabled(settings.dvc, workspace):
        runner.info(lock_commit.commit_lock(ctx, workspace, settings.github_token, environ))


def _write_report_files(
    settings: params.Settings, ctx: Context, runner: Runner, result: Result, markdown: str, secrets: list[str]
) -> str:
    """report.md and metrics.json: on a runner in the workspace, and for `report` anywhere (else cwd)."""
    if not ctx.workspace and settings.command != "report":
        return ""
    from mlflow_ci import report_files

    directory = report_files.report_dir(ctx.workspace_dir, settings.experiment_name)
    metrics = redact(report_files.dumps(report_files.metrics_document(result, ctx)), secrets)
    try:
        return str(report_files.write(directory, markdown, metrics))
    except OSError as exc:
        message = f"cannot write the report to {directory}: {exc.strerror or exc}"
        if settings.command == "report":
            raise ReportError(f"{message}: run it where the directory is writable") from None
        runner.warning(message, ReportError.title)
        return ""


def _comment(settings: params.Settings, ctx: Context, runner: Runner, markdown: str) -> str:
    from mlflow_ci import comment

    plan = comment.plan(settings.comment, settings.github_token, ctx)
    if not plan.post:
        if plan.reason:
            (runner.notice if plan.notice else runner.info)(plan.reason)
        return ""
    outcome = comment.post(markdown, ctx, settings.experiment_name, settings.github_token)
    if outcome.problem:
        (runner.notice if outcome.notice else runner.warning)(outcome.problem)
        return ""
    runner.info(f"pull request comment {outcome.action}: {outcome.url}")
    return outcome.url


def _print_result(
    runner: Runner, outputs: Mapping[str, str], verdict: str, as_json: bool, environ: Mapping[str, str]
) -> None:
    if as_json:
        print(json.dumps(outputs, indent=2), file=sys.stdout, flush=True)
        return
    runner.info(f"mlflow-ci: {verdict}")
    if not environ.get("GITHUB_OUTPUT"):
        for name, value in outputs.items():
            runner.info(f"  {name}={value}")


if __name__ == "__main__":
    sys.exit(main())
