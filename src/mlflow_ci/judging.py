"""The gate's judge for the best run and what the step records of its decision: the same-data evidence
(both models scored on eval-data, or whether their logged metrics share data), the decision record and the
model card. Between the step, which calls it under the promotion lock, and the selection, which may not read
DVC or the report."""

from __future__ import annotations

from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.entities import Run

from mlflow_ci.dvc.tracked import tracked_md5
from mlflow_ci.github.context import Context
from mlflow_ci.inputs import Settings
from mlflow_ci.report import card as model_card
from mlflow_ci.select import evaluation as same_data
from mlflow_ci.select import gate
from mlflow_ci.select.comparability import compare, digests_of
from mlflow_ci.select.decision import Result
from mlflow_ci.select.gate import GateResult
from mlflow_ci.select.record import DecisionRecord, log_scores
from mlflow_ci.tracking.registry import Champion
from mlflow_ci.tracking.tags import TAG_COMMIT, TAG_DVC_LOCK


@dataclass(frozen=True)
class Judged:
    """The gate's verdict and the same-data evidence it weighed."""

    gate: GateResult
    evidence: gate.SameData

    @property
    def passed(self) -> bool:
        return self.gate.passed


class Judge:
    """The gate for the best run as a function of production: called once, with production as the promotion
    lock reads it (or as read without the lock when nothing registers), so the evidence (both models scored on
    eval-data, or the comparability of their logged metrics) is gathered against exactly what is judged."""

    def __init__(self, s: Settings, ctx: Context, client: MlflowClient, *, best: Run, model_uri: str) -> None:
        self._s, self._ctx, self._client, self._best, self._model_uri = s, ctx, client, best, model_uri

    def __call__(self, champion: Champion | None) -> Judged:
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
        return Judged(verdict, evidence)


def always_passes(champion: Champion | None) -> Judged:
    """`command: register` has no gate: production is still read under the lock, nothing is judged."""
    return Judged(GateResult(()), gate.SameData())


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


def decision_record(result: Result, outcome: str, ctx: Context) -> DecisionRecord:
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


def card(result: Result, best: Run, ctx: Context) -> str:
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
