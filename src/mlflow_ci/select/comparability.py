"""Whether two runs' logged metrics were computed on the same data, judged from what the runs carry:

1. the metric's own dataset (MLflow 3 logged-model metrics hold a dataset name and digest),
2. the runs' dataset inputs (mlflow.log_input), their digests (not the eval-data inputs the action logs),
3. the DVC data version the action tags on runs it trains (mlflow_ci.dvc.lock_sha256).

The first kind both runs have decides; if neither kind is on both, comparability is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlflow_ci.select.evaluation import TAG_OURS
from mlflow_ci.tracking.tags import TAG_DVC_LOCK

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run

SHOWN = 12  # digest characters shown in messages (a DVC md5 or sha256 prefix is unique enough to read)


@dataclass(frozen=True)
class DataDigests:
    """What one run says about the data behind its metric, by kind (empty: the run says nothing)."""

    metric: frozenset[str] = frozenset()
    inputs: frozenset[str] = frozenset()
    dvc: frozenset[str] = frozenset()


KINDS = (
    ("metric", "the metric's MLflow dataset"),
    ("inputs", "the runs' MLflow dataset inputs"),
    ("dvc", f"the DVC data version ({TAG_DVC_LOCK})"),
)


@dataclass(frozen=True)
class Comparability:
    comparable: bool | None  # None: the runs do not say which data they used
    challenger: str  # the digests compared, as shown
    champion: str
    basis: str  # which kind decided, e.g. "the runs' MLflow dataset inputs"

    @property
    def output(self) -> str:
        return "" if self.comparable is None else str(self.comparable).lower()

    def message(self) -> str:
        if self.comparable is None:
            return "comparability unknown: the runs do not record which data their metrics come from"
        if self.comparable:
            return f"comparable: logged on the same data ({self.challenger}, by {self.basis})"
        return f"not comparable: logged on different data ({self.challenger} vs {self.champion})"


UNKNOWN = Comparability(None, "", "", "")


def _shown(digests: frozenset[str]) -> str:
    return "+".join(sorted(d[:SHOWN] for d in digests))


def compare(challenger: DataDigests, champion: DataDigests) -> Comparability:
    for kind, basis in KINDS:
        ours, theirs = getattr(challenger, kind), getattr(champion, kind)
        if ours and theirs:
            shared = ours & theirs
            if shared:
                return Comparability(True, _shown(shared), _shown(shared), basis)
            return Comparability(False, _shown(ours), _shown(theirs), basis)
    return UNKNOWN


def digests_of(client: MlflowClient, run: Run, metric: str) -> DataDigests:
    """Read the three kinds from a run (and its logged models' metrics)."""
    metric_digests: set[str] = set()
    for output in run.outputs.model_outputs if run.outputs else []:
        model = client.get_logged_model(output.model_id)
        metric_digests.update(m.dataset_digest for m in model.metrics or [] if m.key == metric and m.dataset_digest)
    inputs = {
        d.dataset.digest
        for d in (run.inputs.dataset_inputs if run.inputs else [])
        if d.dataset.digest and not any(tag.key == TAG_OURS for tag in d.tags or [])
    }
    lock = run.data.tags.get(TAG_DVC_LOCK, "")
    return DataDigests(frozenset(metric_digests), frozenset(inputs), frozenset({lock} if lock else ()))
