"""The step, in the order data flows: inputs -> context -> train -> select (best run, gate) -> promote ->
report -> outputs. Each stage hands the next a frozen value; nothing here decides what another layer owns."""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import Callable, Mapping, MutableMapping

from mlflow import MlflowClient
from mlflow.entities import Run

from mlflow_ci.dvc import lock_commit
from mlflow_ci.dvc import project as dvc_project
from mlflow_ci.errors import GateFailed, InputError, NoModel, NoRunFound, ReportError
from mlflow_ci.github import comment
from mlflow_ci.github.context import Context, load_context
from mlflow_ci.github.runner import Runner
from mlflow_ci.inputs import OUTPUTS, Settings
from mlflow_ci.redact import redact, strip_credentials
from mlflow_ci.report import files as report_files
from mlflow_ci.report import markdown
from mlflow_ci.select import gate
from mlflow_ci.select.decision import Candidate, Promotion, RegistrationPlan, Result, plan_registration
from mlflow_ci.select.gate import GateResult
from mlflow_ci.tracking import registry, search
from mlflow_ci.tracking.client import get_experiment_id, server_errors
from mlflow_ci.tracking.deadline import Deadline, seconds_for
from mlflow_ci.tracking.links import UiLinks, databricks_host, model_version_url, run_url
from mlflow_ci.tracking.model_files import check_model_files
from mlflow_ci.tracking.promotion import Candidate as PromotionCandidate
from mlflow_ci.tracking.promotion import Mover, Target, promote, rollback
from mlflow_ci.tracking.registry import Champion
from mlflow_ci.tracking.tags import run_tags
from mlflow_ci.train import run as train
from mlflow_ci.train.run import TrainReport


def run(
    settings: Settings, environ: MutableMapping[str, str], runner: Runner, *, as_json: bool, secrets: list[str]
) -> int:
    """The step. Its conversation with the server is bounded by a deadline that counts from here, or from the
    end of training when it trains (training takes as long as it takes)."""
    _quiet_libraries()
    # Everything that can fail without the registry, before anything is written to it.
    runner.check_files()
    ctx = load_context(environ)
    plan = plan_registration(settings.command, settings.register, ctx, model_name=settings.model_name)
    client = MlflowClient(tracking_uri=settings.tracking_uri, registry_uri=settings.registry_uri or None)
    links = UiLinks.for_server(settings.tracking_uri, databricks_host(settings.tracking_uri, environ))
    trained = _train(settings, ctx, client, environ, runner, links) if settings.trains else None
    deadline = Deadline(seconds_for(settings.server_timeout, environ), strip_credentials(settings.tracking_uri))
    if settings.command.rolls_back:
        if ctx.is_fork_pull_request:
            raise InputError(
                "command",
                f"is rollback, but this {ctx.event_name} comes from the fork {ctx.head_repository}",
                "a fork never moves production; run rollback from workflow_dispatch",
            )
        return _rollback(settings, ctx, client, runner, links, deadline=deadline, as_json=as_json)
    if not settings.command.searches:
        outputs = outputs_of(None, trained)
        runner.set_outputs(outputs)
        shown = outputs if as_json else {name: value for name, value in outputs.items() if value}
        _print_result(runner, shown, f"trained {len(trained.runs) if trained else 0} runs", as_json)
        _commit_lock(settings, ctx, runner, environ)
        return 0
    with server_errors(settings.tracking_uri), deadline.enforced():
        result = select_and_promote(settings, ctx, client, links, plan=plan, deadline=deadline)
    # Also out of the PR comment and the report files, which the runner's masking never sees.
    summary = redact(markdown.summary_markdown(result), secrets)
    runner.append_summary(summary)
    report_path = _write_report_files(settings, ctx, runner, result, summary, secrets)
    comment_url = _comment(settings, ctx, runner, summary)
    outputs = outputs_of(result, trained, report_path=report_path, comment_url=comment_url)
    runner.set_outputs(outputs)
    _print_result(runner, outputs, markdown.verdict(result), as_json)
    promotion_notes = result.promotion.notes if result.promotion else ()
    for note in [*(result.gate.notes if result.gate else ()), *promotion_notes, *result.notes]:
        runner.info(note)
    if result.plan.reason and not result.registered and settings.command.may_register:
        runner.notice(f"not registered: {result.plan.reason}")
    if result.gate_failed and settings.command.fails_on_gate and result.gate is not None:
        failure = GateFailed("; ".join(result.gate.reasons))
        if settings.fail_on_gate:
            raise failure
        runner.warning(f"{failure} (fail-on-gate: false, so the step goes on)", failure.title)
    _commit_lock(settings, ctx, runner, environ)
    return 0


def outputs_of(
    result: Result | None, trained: TrainReport | None, *, report_path: str = "", comment_url: str = ""
) -> dict[str, str]:
    """Every output in the table's order: what the step decided, empty where it decided nothing."""
    known = result.outputs() if result is not None else {}
    if trained is not None:
        known["experiment_id"] = known.get("experiment_id") or trained.experiment_id
        known["trained_run_ids"] = ",".join(trained.run_ids)
    known.update(report_path=report_path, comment_url=comment_url)
    return {output.name: known.get(output.name, "") for output in OUTPUTS}


def _candidate(found: Run, metric: str, links: UiLinks | None) -> Candidate:
    return Candidate(
        found.info.run_id,
        found.info.run_name or "",
        float(found.data.metrics[metric]),
        run_url(links, found.info.experiment_id, found.info.run_id),
        tuple(sorted(found.data.params.items())),
    )


def select_and_promote(
    settings: Settings,
    ctx: Context,
    client: MlflowClient,
    links: UiLinks | None,
    *,
    plan: RegistrationPlan | None = None,
    deadline: Deadline | None = None,
) -> Result:
    """The best run, production, the gate, and (when the plan and the gate allow) the promotion."""
    s = settings
    plan = plan or plan_registration(s.command, s.register, ctx, model_name=s.model_name)
    deadline = deadline or Deadline(seconds_for(s.server_timeout, {}), strip_credentials(s.tracking_uri))
    experiment_id = get_experiment_id(client, s.experiment_name, s.tracking_uri)
    scope = search.scope_clauses(s.scope, head_sha=ctx.head_sha, checkout_sha=ctx.sha, workflow_run_id=ctx.run_id)
    # One query gives the best run and the report's candidates: same filter, scope and order by construction.
    runs = search.top_runs(
        client, experiment_id, metric=s.metric, greater_is_better=s.greater_is_better, user_filter=s.filter, scope=scope
    )
    if not runs:
        where = f" (scope: {s.scope}{', filter: ' + s.filter if s.filter else ''})"
        raise NoRunFound(
            f"no finished run in experiment '{s.experiment_name}' has the metric '{s.metric}'"
            f"{where}: check metric and filter, or train and log it first"
        )
    best = runs[0]
    run_id = best.info.run_id
    value = float(best.data.metrics[s.metric])
    model_uri = search.model_uri_of(client, best)
    if model_uri is None:
        raise NoModel(
            f"the best run {run_id} ({s.metric}={value:g}) has no logged model: log one in the "
            'run, e.g. mlflow.sklearn.log_model(model, name="model")'
        )
    alias, stage = s.promotion_alias, s.canonical_stage
    judge = _judge(s, run_id=run_id, value=value)
    promotion, notes = None, ()
    if plan.wanted:
        # Production is read once, under the lock: the gate that decides is the one that sees it there.
        check_model_files(client, model_uri, f"the model of the best run {run_id}")
        outcome, verdict = promote(
            client,
            Target(s.model_name, alias, stage),
            PromotionCandidate(run_id, model_uri, run_tags(ctx)),
            metric=s.metric,
            judge=judge if s.command.gates else _always_passes,
            deadline=deadline,
            mover=_mover(ctx),
        )
        champion, notes = outcome.champion, outcome.notes
        if outcome.version:
            url = model_version_url(links, s.model_name, outcome.version)
            promotion = Promotion(outcome.version, outcome.previous, url, outcome.notes, outcome.ledger)
            notes = ()
        verdict = verdict if s.command.gates else None
    else:
        champion = None
        if s.model_name and (alias or stage):
            champion = registry.find_champion(client, s.model_name, alias=alias, stage=stage, metric=s.metric)
        verdict = judge(champion) if s.command.gates else None
    return Result(
        command=s.command,
        experiment_name=s.experiment_name,
        experiment_id=experiment_id,
        metric=s.metric,
        greater_is_better=s.greater_is_better,
        scope=s.scope,
        filter=s.filter,
        run_id=run_id,
        metric_value=value,
        logged_model_uri=model_uri,
        run_url=run_url(links, experiment_id, run_id),
        candidates=tuple(_candidate(r, s.metric, links) for r in runs),
        model_name=s.model_name,
        alias=alias,
        threshold=s.threshold,
        min_improvement=s.min_improvement,
        champion=champion,
        champion_url=model_version_url(links, s.model_name, champion.version) if champion else "",
        gate=verdict,
        plan=plan,
        promotion=promotion,
        notes=notes,
    )


def _judge(s: Settings, *, run_id: str, value: float) -> Callable[[Champion | None], GateResult]:
    """The gate for this run, as a function of production: run once to decide, and again under the lock."""

    def judge(champion: Champion | None) -> GateResult:
        return gate.evaluate(
            metric=s.metric,
            value=value,
            greater_is_better=s.greater_is_better,
            threshold=s.threshold,
            min_improvement=s.min_improvement,
            champion=champion,
            run_id=run_id,
        )

    return judge


def _always_passes(champion: Champion | None) -> GateResult:
    """`command: register` has no gate: production is still re-read under the lock, nothing is judged."""
    return GateResult(())


def _mover(ctx: Context) -> Mover:
    """Who this step is, for the lock a waiting job reads and for the ledger."""
    holder = ctx.run_url or f"{socket.gethostname()} (process {os.getpid()})"
    return Mover(commit=ctx.head_sha, run_url=ctx.run_url, holder=holder)


def _rollback(
    settings: Settings,
    ctx: Context,
    client: MlflowClient,
    runner: Runner,
    links: UiLinks | None,
    *,
    deadline: Deadline,
    as_json: bool,
) -> int:
    """`command: rollback`: production back to `to-version`, or to what held it before, under the lock."""
    target = Target(settings.model_name, settings.promotion_alias, settings.canonical_stage)
    with server_errors(settings.tracking_uri), deadline.enforced():
        outcome = rollback(
            client,
            target,
            to_version=settings.to_version,
            deadline=deadline,
            mover=_mover(ctx),
            check_files=check_model_files,
        )
    runner.append_summary(
        markdown.rollback_markdown(target.model_name, target.where, outcome.version, outcome.previous, outcome.ledger)
    )
    outputs = outputs_of(None, None)
    outputs.update(
        model_version=outcome.version,
        previous_version=outcome.previous,
        model_uri=f"models:/{target.model_name}/{outcome.version}",
        model_version_url=model_version_url(links, target.model_name, outcome.version),
    )
    runner.set_outputs(outputs)
    shown = outputs if as_json else {name: value for name, value in outputs.items() if value}
    moved = f"version {outcome.version} of '{target.model_name}' holds {target.where}"
    _print_result(runner, shown, f"{moved} (was {outcome.previous})" if outcome.previous else moved, as_json)
    for note in outcome.notes:
        runner.info(note)
    return 0


def _quiet_libraries() -> None:
    for name in ("mlflow", "alembic", "urllib3", "github"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _train(
    settings: Settings,
    ctx: Context,
    client: MlflowClient,
    environ: Mapping[str, str],
    runner: Runner,
    links: UiLinks | None,
) -> TrainReport:
    """The train step (user command, sweep), and its table in the step summary."""

    with server_errors(settings.tracking_uri):
        trained = train.run(settings, ctx, client, environ, write=runner.child_output, warn=runner.warning)
    runner.append_summary(
        markdown.training_markdown(trained, lambda run_id: run_url(links, trained.experiment_id, run_id))
    )
    return trained


def _commit_lock(settings: Settings, ctx: Context, runner: Runner, environ: Mapping[str, str]) -> None:
    """dvc-commit-lock, once the step has succeeded."""
    workspace = ctx.workspace_dir
    if settings.dvc_commit_lock and settings.trains and dvc_project.enabled(settings.dvc, workspace):
        runner.info(lock_commit.commit_lock(ctx, workspace, settings.github_token, environ))


def _write_report_files(
    settings: Settings, ctx: Context, runner: Runner, result: Result, summary: str, secrets: list[str]
) -> str:
    """report.md and metrics.json: on a runner in the workspace, and for `report` anywhere (else cwd)."""
    if not ctx.workspace and not settings.command.reports:
        return ""
    directory = report_files.report_dir(ctx.workspace_dir, settings.experiment_name)
    metrics = redact(report_files.dumps(report_files.metrics_document(result, ctx)), secrets)
    try:
        return str(report_files.write(directory, summary, metrics))
    except OSError as exc:
        message = f"cannot write the report to {directory}: {exc.strerror or exc}"
        if settings.command.reports:
            raise ReportError(f"{message}: run it where the directory is writable") from None
        runner.warning(message, ReportError.title)
        return ""


def _comment(settings: Settings, ctx: Context, runner: Runner, summary: str) -> str:
    plan = comment.plan(settings.comment, settings.github_token, ctx)
    if not plan.post:
        if plan.reason:
            (runner.notice if plan.notice else runner.info)(plan.reason)
        return ""
    outcome = comment.post(summary, ctx, settings.experiment_name, settings.github_token)
    if outcome.problem:
        (runner.notice if outcome.notice else runner.warning)(outcome.problem)
        return ""
    runner.info(f"pull request comment {outcome.action}: {outcome.url}")
    return outcome.url


def _print_result(runner: Runner, outputs: Mapping[str, str], verdict: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(outputs, indent=2), file=sys.stdout, flush=True)
        return
    runner.info(f"mlflow-ci: {verdict}")
    if not runner.writes_outputs:
        for name, value in outputs.items():
            runner.info(f"  {name}={value}")
