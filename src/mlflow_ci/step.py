"""The step, in the order data flows: inputs -> context -> train -> select (best run, gate) -> promote ->
report -> outputs. Each stage hands the next a frozen value; nothing here decides what another layer owns."""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import replace

from mlflow import MlflowClient
from mlflow.entities import Run

from mlflow_ci import judging
from mlflow_ci.dvc import lock_commit
from mlflow_ci.dvc import project as dvc_project
from mlflow_ci.errors import GateFailed, InputError, NoModel, NoRunFound, ReportError
from mlflow_ci.github import comment
from mlflow_ci.github.context import Context, load_context
from mlflow_ci.github.runner import Runner
from mlflow_ci.inputs import OUTPUTS, Settings
from mlflow_ci.redact import redact, strip_credentials
from mlflow_ci.report import files as report_files
from mlflow_ci.report import markdown, terminal
from mlflow_ci.select import evaluation as same_data
from mlflow_ci.select.decision import Candidate, Promotion, RegistrationPlan, Result, plan_registration
from mlflow_ci.select.record import record_decision
from mlflow_ci.tracking import registry, registry_kind, search
from mlflow_ci.tracking.client import check_tracking_uri, get_experiment_id, open_client, server_errors
from mlflow_ci.tracking.deadline import Deadline, seconds_for
from mlflow_ci.tracking.links import UiLinks, databricks_host, model_version_url, run_url
from mlflow_ci.tracking.model_files import check_model_files
from mlflow_ci.tracking.promotion import Candidate as PromotionCandidate
from mlflow_ci.tracking.promotion import Mover, Target, promote, rollback
from mlflow_ci.tracking.registry_kind import Registry
from mlflow_ci.tracking.tags import run_tags
from mlflow_ci.train import run as train
from mlflow_ci.train.run import TrainReport


def run(
    settings: Settings, environ: MutableMapping[str, str], runner: Runner, *, as_json: bool, secrets: list[str]
) -> int:
    """The step. Its conversation with the server is bounded by a deadline that counts from the start of the
    server work after training (training takes as long as it takes)."""
    _quiet_libraries()
    # Everything that can fail without the registry is checked before anything is written to it, and
    # everything that can be checked without a store before the client opens (or creates) one.
    runner.check_files()
    ctx = load_context(environ)
    plan = plan_registration(settings.command, settings.register, ctx, model_name=settings.model_name)
    check_tracking_uri(settings.tracking_uri, creates_store=settings.trains)
    model_registry = registry_kind.resolve(settings.registry_uri, settings.tracking_uri, environ)
    if settings.model_name:  # what this registry takes, checked before anything is trained or written
        registry_kind.check_model_name(model_registry, settings.model_name)
        registry_kind.check_promotion(model_registry, alias=settings.promotion_alias, stage=settings.canonical_stage)
    if settings.trains:
        train.check(settings, ctx.workspace_dir)
    with server_errors(settings.tracking_uri):
        client = open_client(settings.tracking_uri, model_registry.uri)
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
        _print_result(runner, outputs, f"trained {len(trained.runs) if trained else 0} runs", as_json)
        _commit_lock(settings, ctx, runner, environ)
        return 0
    with server_errors(settings.tracking_uri), deadline.enforced():
        result = select_and_promote(settings, ctx, client, links, model_registry, plan=plan, deadline=deadline)
    # Also out of the PR comment and the report files, which the runner's masking never sees.
    summary = redact(markdown.summary_markdown(result), secrets)
    runner.append_summary(summary)
    report_path = _write_report_files(settings, ctx, runner, result, summary, secrets)
    comment_url = _comment(settings, ctx, runner, summary)
    outputs = outputs_of(result, trained, report_path=report_path, comment_url=comment_url)
    runner.set_outputs(outputs)
    _print_result(runner, outputs, markdown.verdict(result), as_json, result)
    promotion_notes = result.promotion.notes if result.promotion else ()
    for note in [*(result.gate.notes if result.gate else ()), *promotion_notes, *result.notes]:
        runner.note(note)
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
        found.info.start_time,
    )


def _runs(settings: Settings, ctx: Context, client: MlflowClient, experiment_id: str) -> list[Run]:
    """The best runs, best first; with run-id, exactly that run (a promote job takes what its gate job checked)."""
    s = settings
    if s.run_id:
        return [_given_run(s, client, experiment_id)]
    scope = search.scope_clauses(s.scope, head_sha=ctx.head_sha, checkout_sha=ctx.sha, workflow_run_id=ctx.run_id)
    # One query gives the best run and the report's candidates: same filter, scope and order by construction.
    runs = search.top_runs(
        client, experiment_id, metric=s.metric, greater_is_better=s.greater_is_better, user_filter=s.filter, scope=scope
    )
    if not runs:
        search.check_metric_is_logged(client, experiment_id, metric=s.metric, experiment_name=s.experiment_name)
        where = f" (scope: {s.scope}{', filter: ' + s.filter if s.filter else ''})"
        raise NoRunFound(
            f"no finished run in experiment '{s.experiment_name}' has the metric '{s.metric}'"
            f"{where}: check metric and filter, or train and log it first"
        )
    return runs


def _given_run(s: Settings, client: MlflowClient, experiment_id: str) -> Run:
    from mlflow.exceptions import MlflowException

    try:
        found = client.get_run(s.run_id)
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE"):
            raise
        raise InputError(
            "run-id", f"'{s.run_id}' is not a run on this server", "pass the run_id output of the job that gated it"
        ) from None
    if found.info.experiment_id != experiment_id:
        raise InputError(
            "run-id",
            f"'{s.run_id}' belongs to another experiment than '{s.experiment_name}'",
            "pass a run of experiment-name",
        )
    if found.info.status != "FINISHED" or s.metric not in found.data.metrics:
        raise InputError(
            "run-id",
            f"'{s.run_id}' is {found.info.status.lower()} or has no metric '{s.metric}'",
            "pass a finished run that logged the metric",
        )
    return found


def select_and_promote(
    settings: Settings,
    ctx: Context,
    client: MlflowClient,
    links: UiLinks | None,
    model_registry: Registry | None = None,
    *,
    plan: RegistrationPlan | None = None,
    deadline: Deadline | None = None,
) -> Result:
    """The best run, production, the gate, and (when the plan and the gate allow) the promotion."""
    s = settings
    model_registry = model_registry or registry_kind.resolve(s.registry_uri, s.tracking_uri, {})
    plan = plan or plan_registration(s.command, s.register, ctx, model_name=s.model_name)
    deadline = deadline or Deadline(seconds_for(s.server_timeout, {}), strip_credentials(s.tracking_uri))
    if s.eval_data:
        same_data.require_libraries()
        same_data.supported_metric(s.metric)
    experiment_id = get_experiment_id(client, s.experiment_name, s.tracking_uri)
    runs = _runs(s, ctx, client, experiment_id)
    best = runs[0]
    run_id = best.info.run_id
    value = float(best.data.metrics[s.metric])
    model_uri = search.model_uri_of(client, best)
    if model_uri is None:
        raise NoModel(
            f"the best run {run_id} ({s.metric}={value:g}) has no logged model: log one in the "
            'run, e.g. mlflow.sklearn.log_model(model, name="model")'
        )
    # What this registry can move: Unity Catalog has no stages, the workspace registry no aliases.
    alias = s.promotion_alias if model_registry.has_aliases else ""
    stage = s.canonical_stage if model_registry.has_stages else ""
    skipped = (
        *([model_registry.alias_skipped(s.promotion_alias)] if s.promotion_alias and not alias else []),
        *([model_registry.stage_skipped(s.canonical_stage)] if s.canonical_stage and not stage else []),
    )
    judge = judging.Judge(s, ctx, client, best=best, model_uri=model_uri)
    promotion, notes = None, ()
    if plan.wanted:
        # Production is read once, under the lock: the gate that decides, and the evidence it weighs (both
        # models scored on eval-data), are the ones that saw what the promotion replaces.
        check_model_files(client, model_uri, f"the model of the best run {run_id}")
        with registry_kind.refusals(model_registry, s.model_name):
            outcome, judged = promote(
                client,
                Target(s.model_name, alias, stage),
                PromotionCandidate(run_id, model_uri, run_tags(ctx)),
                metric=s.metric,
                judge=judge if s.command.gates else judging.always_passes,
                deadline=deadline,
                mover=_mover(ctx),
            )
        champion, notes = outcome.champion, outcome.notes
        if outcome.version:
            url = model_version_url(links, s.model_name, outcome.version)
            promotion = Promotion(outcome.version, outcome.previous, url, (*skipped, *outcome.notes), outcome.ledger)
            notes = ()
    else:
        champion = None
        if s.model_name and (alias or stage):
            champion = registry.find_champion(client, s.model_name, alias=alias, stage=stage, metric=s.metric)
        judged = judge(champion) if s.command.gates else judging.always_passes(champion)
    result = Result(
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
        gate=judged.gate if s.command.gates else None,
        plan=plan,
        promotion=promotion,
        notes=notes,
        evaluation=judged.evidence.evaluation,
        comparability=judged.evidence.comparability,
    )
    card = judging.card(result, best, ctx)
    if promotion is not None:
        record_decision(client, s.model_name, promotion.version, judging.decision_record(result, "promoted", ctx), card)
    return replace(result, card=card)


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
    """The train step (user command, sweep), and its table in the step summary. What the children print is
    shown line by line, and never obeyed as a workflow command."""
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


def _print_result(
    runner: Runner, outputs: Mapping[str, str], verdict: str, as_json: bool, result: Result | None = None
) -> None:
    """`--json`: the outputs as JSON. On a runner: the verdict (the outputs are in GITHUB_OUTPUT). Elsewhere, for
    a person: the verdict, the top runs, and the outputs that have a value, once."""
    if as_json:
        print(json.dumps(outputs, indent=2), file=sys.stdout, flush=True)
        return
    if runner.writes_outputs:
        runner.info(f"mlflow-ci: {verdict}")
        return
    runner.say(runner.colour(f"mlflow-ci: {verdict}", "1"))
    table = terminal.top_runs(result) if result is not None else []
    if table:
        runner.say("")
        for line in table:
            runner.say(line)
    shown = {name: value for name, value in outputs.items() if value}
    width = max((len(name) for name in shown), default=0)
    runner.say("\noutputs:")
    for name, value in shown.items():
        runner.say(f"  {name:<{width}}  {value}")
