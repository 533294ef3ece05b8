"""The step, in the order data flows: inputs -> context -> train -> select (best run, gate) -> promote ->
report -> outputs. Each stage hands the next a frozen value; nothing here decides what another layer owns."""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, replace

from mlflow import MlflowClient
from mlflow.entities import Run

from mlflow_ci.dvc import lock_commit
from mlflow_ci.dvc import project as dvc_project
from mlflow_ci.dvc.tracked import tracked_md5
from mlflow_ci.errors import GateFailed, InputError, NoModel, NoRunFound, ReportError
from mlflow_ci.github import comment
from mlflow_ci.github.context import Context, load_context
from mlflow_ci.github.runner import Runner
from mlflow_ci.inputs import OUTPUTS, Settings
from mlflow_ci.redact import redact, strip_credentials
from mlflow_ci.report import card as model_card
from mlflow_ci.report import files as report_files
from mlflow_ci.report import markdown, terminal
from mlflow_ci.select import evaluation as same_data
from mlflow_ci.select import gate
from mlflow_ci.select.comparability import compare, digests_of
from mlflow_ci.select.decision import Candidate, Promotion, RegistrationPlan, Result, plan_registration
from mlflow_ci.select.gate import GateResult
from mlflow_ci.select.record import DecisionRecord, log_scores, record_decision
from mlflow_ci.tracking import registry, registry_kind, search
from mlflow_ci.tracking.client import check_tracking_uri, get_experiment_id, open_client, server_errors
from mlflow_ci.tracking.deadline import Deadline, seconds_for
from mlflow_ci.tracking.links import UiLinks, databricks_host, model_version_url, run_url
from mlflow_ci.tracking.model_files import check_model_files
from mlflow_ci.tracking.promotion import Candidate as PromotionCandidate
from mlflow_ci.tracking.promotion import Mover, Target, promote, rollback
from mlflow_ci.tracking.registry import Champion
from mlflow_ci.tracking.registry_kind import Registry
from mlflow_ci.tracking.tags import TAG_COMMIT, TAG_DVC_LOCK, run_tags
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
    judge = _Judge(s, ctx, client, best=best, model_uri=model_uri)
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
                judge=judge if s.command.gates else _always_passes,
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
        judged = judge(champion) if s.command.gates else _always_passes(champion)
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
    card = _card(result, best, ctx)
    if promotion is not None:
        record_decision(client, s.model_name, promotion.version, _decision(result, "promoted", ctx), card)
    return replace(result, card=card)


@dataclass(frozen=True)
class _Judged:
    """The gate's verdict and the same-data evidence it weighed."""

    gate: GateResult
    evidence: gate.SameData

    @property
    def passed(self) -> bool:
        return self.gate.passed


class _Judge:
    """The gate for the best run as a function of production: called once, with production as the promotion
    lock reads it (or as read without the lock when nothing registers), so the evidence (both models scored on
    eval-data, or the comparability of their logged metrics) is gathered against exactly what is judged."""

    def __init__(self, s: Settings, ctx: Context, client: MlflowClient, *, best: Run, model_uri: str) -> None:
        self._s, self._ctx, self._client, self._best, self._model_uri = s, ctx, client, best, model_uri

    def __call__(self, champion: Champion | None) -> _Judged:
        s, best = self._s, self._best
        evidence = _same_data(s, self._ctx, self._client, best=best, model_uri=self._model_uri, champion=champion)
        verdict = gate.evaluate(
            metric=s.metric,
            value=float(best.data.metrics[s.metric]),
            greater_is_better=s.greater_is_better,
            threshold=s.threshold,
            min_improvement=s.min_improvement,
            champion=champion,
            run_id=best.info.run_id,
            same_data=evidence,
        )
        return _Judged(verdict, evidence)


def _always_passes(champion: Champion | None) -> _Judged:
    """`command: register` has no gate: production is still read under the lock, nothing is judged."""
    return _Judged(GateResult(()), gate.SameData())


def _mover(ctx: Context) -> Mover:
    """Who this step is, for the lock a waiting job reads and for the ledger."""
    holder = ctx.run_url or f"{socket.gethostname()} (process {os.getpid()})"
    return Mover(commit=ctx.head_sha, run_url=ctx.run_url, holder=holder)


def _same_data(
    s: Settings, ctx: Context, client: MlflowClient, *, best: Run, model_uri: str, champion: Champion | None
) -> gate.SameData:
    """With eval-data: both models scored here on its rows, the scores logged on the best run. Without:
    whether the two runs' logged metrics come from the same data."""
    run_id = best.info.run_id
    rival = champion if champion is not None and champion.run_id != run_id else None
    if not s.eval_data:
        comparability = None
        if rival is not None and rival.run_id:
            theirs = digests_of(client, client.get_run(rival.run_id), s.metric)
            comparability = compare(digests_of(client, best, s.metric), theirs)
        return gate.SameData(comparability=comparability, required=s.require_same_data)
    rows = _eval_rows(s, ctx)
    champion_uri = f"models:/{s.model_name}/{rival.version}" if rival is not None else ""
    evaluation = same_data.evaluate(
        metric=s.metric,
        greater_is_better=s.greater_is_better,
        rows=rows,
        challenger_uri=model_uri,
        champion_uri=champion_uri,
        champion_version=rival.version if rival is not None else "",
        confidence=s.confidence,
    )
    champion_source = client.get_model_version(s.model_name, rival.version).source if rival is not None else ""
    source = (
        f"{ctx.server_url}/{ctx.repository}/blob/{ctx.sha}/{s.eval_data}" if ctx.repository and ctx.sha else s.eval_data
    )
    log_scores(
        client,
        evaluation,
        run_id=run_id,
        challenger_model_id=_model_id(model_uri),
        champion_model_id=_model_id(champion_source),
        rows=rows,
        source=source,
    )
    return gate.SameData(evaluation=evaluation, required=s.require_same_data)


def _model_id(uri: str) -> str:
    return uri.removeprefix("models:/") if uri.startswith("models:/m-") else ""


def _eval_rows(s: Settings, ctx: Context) -> same_data.EvalRows:
    """eval-data read from the workspace; its digest is DVC's md5 when DVC tracks it, else a content hash."""
    workspace = ctx.workspace_dir
    path = workspace / s.eval_data
    x, y = same_data.read_rows(path, s.eval_data, s.eval_target)
    tracked = tracked_md5(workspace, s.eval_data)
    if tracked is not None:
        digest, told = tracked.md5, f"DVC md5 from {tracked.recorded_in}"
    else:
        digest, told = same_data.content_digest(path), f"sha256 of the file, first {same_data.MAX_DIGEST} characters"
    return same_data.EvalRows(same_data.EvalData(s.eval_data, digest, told, len(y), s.eval_target), x, y)


def _decision(result: Result, outcome: str, ctx: Context) -> DecisionRecord:
    """What the version's tags record: the gate's reason, both scores, the data and the interval."""
    check = result.gate.check("min-improvement") if result.gate is not None else None
    reason = check.message if check is not None else (result.gate.notes or ("",))[0] if result.gate else ""
    if result.evaluation is not None:
        return DecisionRecord.from_evaluation(outcome, reason, result.evaluation, ctx.run_url)
    champion = result.champion
    return DecisionRecord(
        outcome,
        reason,
        result.metric,
        result.metric_value,
        "logged",
        champion.version if champion is not None else "",
        result.champion_value,
        "",
        "",
        result.delta,
        None,
        ctx.run_url,
    )


def _card(result: Result, best: Run, ctx: Context) -> str:
    """The model card of the best run, for its version's description and the summary (none without a model
    name: nothing to register)."""
    if not result.model_name:
        return ""
    data_versions = {}
    if best.data.tags.get(TAG_DVC_LOCK):
        data_versions["DVC data version (dvc.lock sha256)"] = best.data.tags[TAG_DVC_LOCK]
    for dataset_input in best.inputs.dataset_inputs if best.inputs else []:
        if not any(tag.key == same_data.TAG_OURS for tag in dataset_input.tags or []):
            data_versions[f"dataset input {dataset_input.dataset.name}"] = dataset_input.dataset.digest
    promotion, gate_result = result.promotion, result.gate
    outcome = "promoted" if promotion is not None else ("rejected" if result.gate_failed else "")
    reasons = gate_result.reasons if gate_result is not None and gate_result.reasons else ()
    facts = model_card.CardFacts(
        model_name=result.model_name,
        version=promotion.version if promotion is not None else "",
        outcome=outcome,
        reason="; ".join(reasons),
        metric=result.metric,
        greater_is_better=result.greater_is_better,
        run_id=result.run_id,
        run_name=result.run_name,
        run_url=result.run_url,
        value=result.metric_value,
        params=dict(best.data.params),
        metrics=dict(best.data.metrics),
        champion_version=result.champion.version
        if result.champion is not None and not result.already_production
        else "",
        champion_value=result.champion.metric_value if result.champion is not None else None,
        evaluation=result.evaluation,
        comparability=result.comparability,
        data_versions=data_versions,
        commit=best.data.tags.get(TAG_COMMIT, "") or ctx.head_sha,
        workflow_run_url=ctx.run_url,
    )
    return model_card.render(facts)


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
