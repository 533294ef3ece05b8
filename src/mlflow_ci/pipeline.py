"""The commands: best-run, then (ci, gate) the gate, then (ci, register) registration when allowed."""

from __future__ import annotations

from mlflow import MlflowClient

from mlflow_ci import gate, registry, tracking
from mlflow_ci.errors import CIError
from mlflow_ci.github import Context
from mlflow_ci.params import Settings, canonical_stage, promotion_alias
from mlflow_ci.result import Result


class NoRunFound(CIError):
    title = "no run found"


class NoModel(CIError):
    title = "no logged model"


def run(settings: Settings, ctx: Context, client: MlflowClient) -> Result:
    s = settings
    experiment_id = tracking.get_experiment_id(client, s.experiment_name, s.tracking_uri)
    scope = tracking.scope_clauses(s.scope, ctx.head_sha, ctx.sha, ctx.run_id)
    best = tracking.best_run(client, experiment_id, s.metric, s.greater_is_better, s.filter, scope)
    if best is None:
        where = f" (scope: {s.scope}{', filter: ' + s.filter if s.filter else ''})"
        raise NoRunFound(
            f"no finished run in experiment '{s.experiment_name}' has the metric '{s.metric}'"
            f"{where}: check metric and filter, or train and log it first"
        )
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
        tracking.run_ui_url(s.tracking_uri, experiment_id, run_id),
        s.model_name,
        alias,
        s.threshold,
    )
    if s.command == "best-run":
        return result
    if s.model_name and (alias or stage):
        result.champion = registry.find_champion(client, s.model_name, alias, stage, s.metric)
    if s.command in ("ci", "gate"):
        result.gate = gate.evaluate(
            s.metric, value, s.greater_is_better, s.threshold, s.min_improvement, result.champion, run_id
        )
    if s.command in ("ci", "register"):
        result.register_wanted, result.register_reason = registry.registration_decision(s.register, ctx)
        if result.register_wanted and not result.gate_failed:
            done = registry.register(client, s.model_name, run_id, model_uri, registry.version_tags(ctx), alias, stage)
            result.model_version, result.previous_version = done.version, done.previous_version
            result.model_uri = f"models:/{s.model_name}/{done.version}"
            result.notes.extend(done.notes)
    return result
