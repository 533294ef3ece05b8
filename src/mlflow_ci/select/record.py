"""What the selection decided, written where the model lives: the same-data scores on the challenger's run
(MLflow 3 metrics tied to the eval dataset), and on a registered version the decision tags and its model card.

Tags are keyed `mlflow_ci.decision*`; each write is idempotent, so a re-run rewrites the same values.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mlflow_ci.select.evaluation import (
    CHAMPION_PREFIX,
    EVAL_CONTEXT,
    METRIC_PREFIX,
    TAG_OURS,
    EvalRows,
    Evaluation,
    Interval,
)
from mlflow_ci.tracking.registry import registry_client

if TYPE_CHECKING:
    from mlflow import MlflowClient

OUTCOMES = ("promoted", "kept", "rejected")
TAG_DECISION = "mlflow_ci.decision"
CARD_FILE = "model_card.md"
CARD_MARKER = "<!-- mlflow-ci model card -->"
MAX_DESCRIPTION = 5000  # the model_versions.description column (String(5000)) on SQL registries
MAX_TAG_VALUE = 5000


@dataclass(frozen=True)
class DecisionRecord:
    """The decision about one registered version, as its tags record it."""

    outcome: str  # promoted | kept | rejected
    reason: str
    metric: str
    score: float | None  # the challenger's value the gate used
    scored_on: str  # "eval-data" (both re-scored here) or "logged" (the runs' own numbers)
    champion_version: str  # "" when nothing was in production
    champion_score: float | None
    data_digest: str  # the eval data's digest, "" without eval-data
    data_path: str
    delta: float | None
    interval: Interval | None
    workflow_run_url: str

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {self.outcome!r}")

    @classmethod
    def from_evaluation(
        cls, outcome: str, reason: str, evaluation: Evaluation, workflow_run_url: str
    ) -> DecisionRecord:
        return cls(
            outcome,
            reason,
            evaluation.metric,
            evaluation.challenger_score,
            "eval-data",
            evaluation.champion_version,
            evaluation.champion_score,
            evaluation.data.digest,
            evaluation.data.path,
            evaluation.delta,
            evaluation.interval,
            workflow_run_url,
        )

    def tags(self) -> dict[str, str]:
        """Every known value; nothing for what is unknown (an absent tag reads as unknown)."""
        number = lambda value: "" if value is None else repr(float(value))  # noqa: E731
        interval = self.interval
        tags = {
            TAG_DECISION: self.outcome,
            f"{TAG_DECISION}.reason": self.reason[:MAX_TAG_VALUE],
            f"{TAG_DECISION}.metric": self.metric,
            f"{TAG_DECISION}.score": number(self.score),
            f"{TAG_DECISION}.scored_on": self.scored_on,
            f"{TAG_DECISION}.champion_version": self.champion_version or "none",
            f"{TAG_DECISION}.champion_score": number(self.champion_score),
            f"{TAG_DECISION}.eval_data": self.data_path,
            f"{TAG_DECISION}.eval_data_digest": self.data_digest,
            f"{TAG_DECISION}.delta": number(self.delta),
            f"{TAG_DECISION}.delta_low": number(interval.low) if interval else "",
            f"{TAG_DECISION}.delta_high": number(interval.high) if interval else "",
            f"{TAG_DECISION}.confidence": number(interval.confidence) if interval else "",
            f"{TAG_DECISION}.workflow_run_url": self.workflow_run_url,
            f"{TAG_DECISION}.at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return {key: value for key, value in tags.items() if value}


def record_decision(client: MlflowClient, name: str, version: str, decision: DecisionRecord, card: str) -> str:
    """Tag version `version` of `name` with the decision, put the model card in its description (unless a
    person wrote one) and beside the model's files as model_card.md. Returns where the card went."""
    registry = registry_client(client)  # without MlflowClient's read of the model before every write
    for key, value in decision.tags().items():
        registry.set_model_version_tag(name, version, key, value)
    current = registry.get_model_version(name, version)
    # The registry leaves model_id empty on versions it returns; the source names the logged model.
    model_id = current.model_id or (
        current.source.removeprefix("models:/") if current.source.startswith("models:/m-") else ""
    )
    where = _attach_card(client, model_id, current.run_id, current.source, card)
    description = current.description or ""
    if not description or description.startswith(CARD_MARKER):
        registry.update_model_version(name, version, description=_description(card, where))
        where = f"the version's description and {where}"
    return where


def _description(card: str, where: str) -> str:
    text = f"{CARD_MARKER}\n{card}"
    if len(text) <= MAX_DESCRIPTION:
        return text
    cut = f"\n\n… (cut to {MAX_DESCRIPTION} characters: the whole card is {where})"
    return text[: MAX_DESCRIPTION - len(cut)] + cut


def _attach_card(client: MlflowClient, model_id: str | None, run_id: str | None, source: str, card: str) -> str:
    """model_card.md among the model's files, so `models:/<name>/<version>/model_card.md` downloads it."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / CARD_FILE
        path.write_text(card, encoding="utf-8")
        if model_id:
            client.log_model_artifact(model_id, str(path))
            return f"{CARD_FILE} in logged model {model_id}'s artifacts"
        if run_id:
            folder = source.removeprefix(f"runs:/{run_id}/").strip("/") if source.startswith("runs:/") else ""
            client.log_artifact(run_id, str(path), artifact_path=folder or None)
            return f"{CARD_FILE} in run {run_id}'s artifacts" + (f" under {folder}/" if folder else "")
    return "nowhere else (the version has no run or logged model)"


def log_scores(
    client: MlflowClient,
    evaluation: Evaluation,
    *,
    run_id: str,
    challenger_model_id: str,
    champion_model_id: str,
    rows: EvalRows,
    source: str,
) -> None:
    """On the challenger's run: the eval rows as an MLflow 3 dataset input (context `eval`, digest = the eval
    data's), and both models' scores as metrics tied to it: `eval/<metric>` for the challenger,
    `eval/champion/<metric>` for the champion. Never the ranking key, so the best-run search is unchanged.
    Each metric carries its model's id, so the champion's logged model lists its score too; the
    champion's run is not written to."""
    from mlflow.entities import DatasetInput, InputTag, Metric

    dataset = _dataset(evaluation, rows, source)
    client.log_inputs(
        run_id,
        datasets=[
            DatasetInput(
                dataset._to_mlflow_entity(),
                tags=[InputTag("mlflow.data.context", EVAL_CONTEXT), InputTag(TAG_OURS, "true")],
            )
        ],
    )
    now = int(time.time() * 1000)

    def metric(key: str, value: float, model_id: str) -> Metric:
        return Metric(
            key, value, now, 0, model_id=model_id or None, dataset_name=dataset.name, dataset_digest=dataset.digest
        )

    metrics = [metric(METRIC_PREFIX + k, v, challenger_model_id) for k, v in evaluation.challenger_metrics.items()]
    metrics += [metric(CHAMPION_PREFIX + k, v, champion_model_id) for k, v in evaluation.champion_metrics.items()]
    client.log_batch(run_id, metrics=metrics)


def _dataset(evaluation: Evaluation, rows: EvalRows, source: str):
    import warnings

    import mlflow.data
    from mlflow.data.http_dataset_source import HTTPDatasetSource

    frame = rows.x.assign(**{evaluation.data.target: rows.y.to_numpy()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # resolving a local path as a source warns
        return mlflow.data.from_pandas(
            frame,
            source=HTTPDatasetSource(source) if source.startswith(("http://", "https://")) else source,
            name=evaluation.data.path,
            digest=evaluation.data.digest,
            targets=evaluation.data.target,
        )
