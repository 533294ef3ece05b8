"""The commands: best-run, then (ci, gate, report) the gate, then (ci, register) registration when allowed."""

from __future__ import annotations

from mlflow import MlflowClient
from mlflow.entities import Run

from mlflow_ci import gate, registry, tracking
from mlflow_ci.errors import CIError
from mlflow_ci.github import Context
from mlflow_ci.params import Settings, canonical_stage, promotion_alias
from mlflow_ci.result import Candidate, Result
from mlflow_ci.ui_links import UiLinks, model_version_url, run_url


class NoRunFound(CIError):
    title = "no run found"


class NoModel(CIError):
    title = "no logged model"


def _candidate(run: Run, metric: str, links: UiLinks | None) -> Candidate:
    return Candidate(
        run.info.run_id,
        run.info.run_name or "",
        float(run.data.metrics[metric]),
        run_url(links, run.info.experiment_id, run.info.run_id),
        dict(run.data.params),
    )


def run(settings: Settings, ctx: Context, client: MlflowClient, links: UiLinks | None = None) -> Result:
    s = settings
    links = links or UiLinks.for_server(s.tracking_uri)
    experiment_id = tracking.get_experiment_id(client, s.experiment_name, s.tracking_uri)
    scope = tracking.scope_clauses(s.scope, ctx.head_sha, ctx.sha, ctx.run_id)
    # One query gives the best run and the report's candidates: same filter, scope and order by construction.
    runs = tracking.top_runs(client, experiment_id, s.metric, s.greater_is_better, s.filter, scope)
    if not runs:
        where = f" (scope: {s.scope}{', filter: ' + s.filter if s.filter else ''})"
        raise NoRunFound(
            f"no finished run in experiment '{s.experiment_name}' has the metric '{s.metric}'"
            f"{where}: check metric and filter, or train and log it first"
        )
    best = runs[0]
    run_id = best.info.run_id
    value = float(best.data.metrics[s.metric])
    model_uri = tracking.model_uri_of(client, best)
    if model_uri is None:
        raise NoModel(
            f"the best run {run_id} ({s.metric}={value:g}) has no logged model: log one in the "
            'run, e.g. mlflow.sklearn.log_model(model, name="model")'
        )
    alias, stage = promotion_alias(s), canonical_stage(s)
    result = Result(
        s.command,
        s.experiment_name,
        experiment_id,
        s.metric,
        s.greater_is_better,
        run_id,
        value,
        model_uri,
        run_url(links, experiment_id, run_id),
        s.model_name,
        alias,
        s.threshold,
        min_improvement=s.min_improvement,
        scope=s.scope,
        filter=s.filter,
        candidates=[_candidate(r, s.metric, links) for r in runs],
    )
    if s.model_name and (alias or stage):
        result.champion = registry.find_champion(client, s.model_name, alias, stage, s.metric)
        if result.champion is not None:
            result.champion_url = model_version_url(links, s.model_name, result.champion.version)
    if s.command in ("ci", "gate", "report"):
        result.gate = gate.evaluate(
            s.metric, value, s.greater_is_better, s.threshold, s.min_improvement, result.champion, run_id
        )
    if s.command in ("ci", "register"):
        result.register_wanted, result.register_reason = registry.registration_decision(s.register, ctx)
        result.would_register = s.register != "never"
        if result.register_wanted and not result.gate_failed:
            done = registry.register(client, s.model_name, run_id, model_uri, registry.version_tags(ctx), alias, stage)
            result.model_version, result.previous_version = done.version, done.previous_version
            result.model_uri = f"models:/{s.model_name}/{done.version}"
            result.version_url = model_version_url(links, s.model_name, done.version)
            result.notes.extend(done.notes)
    if s.command == "report" and s.model_name:
        wanted, reason = registry.registration_decision(s.register, ctx)
        result.register_reason = "the report command never registers" if wanted else reason
        result.would_register = s.register != "never"
    return result
