"""Same-data evaluation: the challenger's and the champion's models loaded with mlflow.pyfunc in this process,
scored on the same held-out rows with the metrics the sweep knows, and a seeded paired bootstrap for the
difference (challenger minus champion, in the metric's direction: positive means the challenger is better).

Logged numbers from different runs may come from different data; these two scores cannot.
"""

from __future__ import annotations

import hashlib
import logging
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlflow_ci.errors import CIError, InputError
from mlflow_ci.scoring import METRICS, MetricSpec
from mlflow_ci.select.bootstrap import RESAMPLES, Interval, paired_bootstrap

if TYPE_CHECKING:
    import pandas as pd

# MLflow's limit on a dataset digest (mlflow.utils.validation.MAX_DATASET_DIGEST_SIZE); a DVC md5 (32) fits.
MAX_DIGEST = 36
EVAL_CONTEXT = "eval"
METRIC_PREFIX = "eval/"  # not the ranking key: scores logged here never move a run in the best-run search
CHAMPION_PREFIX = "eval/champion/"
# On the dataset inputs the action logs, so comparability does not mistake them for a run's training data.
TAG_OURS = "mlflow_ci.eval_data"
READERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class EvaluationError(CIError):
    title = "evaluation"


class ModelLoadError(EvaluationError):
    title = "evaluation: model cannot be loaded"


class StaleEvaluation(EvaluationError):
    title = "evaluation is stale"


@dataclass(frozen=True)
class EvalData:
    """The held-out rows: where they came from and the digest that names their content."""

    path: str  # as the user gave it, relative to the workspace
    digest: str
    digest_source: str  # e.g. "DVC md5 from data/eval.csv.dvc" or "sha256 of the file"
    rows: int
    target: str


@dataclass(frozen=True, eq=False)
class EvalRows:
    """The held-out rows as read: features, labels and what names them."""

    data: EvalData
    x: pd.DataFrame
    y: pd.Series


@dataclass(frozen=True)
class Evaluation:
    """Both models scored on the same rows: computed once, read by the gate, the outputs and the report."""

    metric: str
    greater_is_better: bool
    data: EvalData
    challenger_uri: str
    challenger_score: float
    champion_version: str  # "" when nothing is in production
    champion_uri: str
    champion_score: float | None
    interval: Interval | None
    challenger_metrics: Mapping[str, float] = field(default_factory=dict)  # every metric of the task
    champion_metrics: Mapping[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def delta(self) -> float | None:
        """Challenger minus champion in the metric's direction (positive: the challenger is better)."""
        if self.champion_score is None:
            return None
        sign = 1 if self.greater_is_better else -1
        return sign * (self.challenger_score - self.champion_score)


def require_libraries() -> None:
    """pandas, numpy and scikit-learn must be importable here: the composite action installs them with
    eval-data (requirements/train.txt); an image or venv without them is one error, not a traceback."""
    import importlib.util

    missing = [name for name in ("pandas", "numpy", "sklearn") if importlib.util.find_spec(name) is None]
    if missing:
        shown = ", ".join("scikit-learn" if name == "sklearn" else name for name in missing)
        raise EvaluationError(
            f"eval-data needs {shown} in the Python the action runs with, and it is missing: use the "
            "composite action (it installs them when eval-data is set) or pip install -r requirements/train.txt"
        )


def supported_metric(metric: str) -> MetricSpec:
    spec = METRICS.get(metric)
    if spec is None:
        raise InputError(
            "eval-data",
            f"needs a metric the action can compute, but metric is '{metric}'",
            f"set metric to one of {', '.join(sorted(METRICS))}, or leave eval-data empty to compare logged values",
        )
    return spec


def content_digest(path: Path) -> str:
    """sha256 of the file's bytes, cut to MLflow's digest limit."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:MAX_DIGEST]


def read_rows(path: Path, shown: str, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """(features, labels) from a CSV or Parquet file; any problem is one error naming the input."""
    import pandas as pd

    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise InputError("eval-data", f"'{shown}' is not a .csv or .parquet file", "give a CSV or Parquet file")
    if not path.is_file():
        raise InputError(
            "eval-data",
            f"'{shown}' does not exist in the workspace",
            "give a path relative to the repository root (with DVC, is it pulled? dvc: true pulls it)",
        )
    try:
        frame = pd.read_csv(path) if kind == "csv" else pd.read_parquet(path)
    except ImportError as exc:
        raise InputError("eval-data", f"'{shown}' needs {exc.name or 'pyarrow'} to be read", "use a CSV file") from None
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputError(
            "eval-data", f"'{shown}' cannot be read ({' '.join(str(exc).split())[:300]})", f"give a valid {kind} file"
        ) from None
    if not target:
        raise InputError("eval-target", "is empty but eval-data is set", "name the column that holds the labels")
    if target not in frame.columns:
        columns = ", ".join(map(str, frame.columns[:20]))
        raise InputError("eval-target", f"'{target}' is not a column of '{shown}' (columns: {columns})", "fix it")
    if len(frame) < 2:
        raise InputError("eval-data", f"'{shown}' has {len(frame)} rows", "give at least a few held-out rows")
    return frame.drop(columns=[target]), frame[target]


@contextmanager
def _quiet() -> Iterator[None]:
    """MLflow warns, per load, about pickle formats and environment mismatches: the user chose the models."""
    loggers = [logging.getLogger(name) for name in ("mlflow", "mlflow.pyfunc", "mlflow.sklearn", "mlflow.models")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def load_model(uri: str, role: str) -> Any:
    """The model as mlflow.pyfunc loads it, here, in the action's Python: a missing library is one error."""
    import mlflow.pyfunc
    from mlflow.exceptions import MlflowException

    try:
        with _quiet():
            return mlflow.pyfunc.load_model(uri)
    except ModuleNotFoundError as exc:
        library = (exc.name or str(exc)).split(".")[0]
        raise ModelLoadError(
            f"the {role} model {uri} needs the Python package '{library}', which is not installed where the "
            f"action evaluates: install it into the action's Python, or score the models in your own step and "
            "log the metric with its dataset (then leave eval-data empty)"
        ) from None
    except MlflowException as exc:
        raise ModelLoadError(f"the {role} model {uri} cannot be loaded: {_first_line(exc.message)}") from None
    except Exception as exc:  # what a flavour's loader raises on a broken or foreign model
        raise ModelLoadError(
            f"the {role} model {uri} cannot be loaded: {type(exc).__name__}: {_first_line(str(exc))}"
        ) from None


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or ["no message"])[0][:400]


def _as_1d(values: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(values, pd.DataFrame):
        values = values.iloc[:, 0]
    array = np.asarray(values)
    return array.ravel() if array.ndim == 2 and array.shape[1] == 1 else array


def predictions(model: Any, x: pd.DataFrame, needs: set[str], role: str, uri: str) -> dict[str, Any]:
    """Labels or values from pyfunc's predict; probabilities or decision scores, when a metric needs them,
    from the underlying model (pyfunc's predict gives labels only)."""
    from mlflow.exceptions import MlflowException

    try:
        with _quiet():
            out = {"pred": _as_1d(model.predict(x))}
    except MlflowException as exc:
        raise EvaluationError(
            f"the {role} model {uri} refused the eval-data rows: {_first_line(exc.message)}: give eval-data "
            "the columns the model's signature names"
        ) from None
    except Exception as exc:
        raise EvaluationError(
            f"the {role} model {uri} failed on the eval-data rows: {type(exc).__name__}: {_first_line(str(exc))}"
        ) from None
    if needs & {"score", "proba"}:
        try:
            raw = model.get_raw_model()
        except (NotImplementedError, AttributeError):
            raw = None
        features = x[list(_input_columns(model) or x.columns)]
        if raw is not None and hasattr(raw, "predict_proba"):
            out["proba"] = out["score"] = raw.predict_proba(features)
        elif raw is not None and hasattr(raw, "decision_function") and "proba" not in needs:
            out["score"] = raw.decision_function(features)
        else:
            flavor = ", ".join(f for f in model.metadata.flavors if f != "python_function") or "pyfunc"
            raise EvaluationError(
                f"the {role} model {uri} ({flavor}) gives no class probabilities, which the metric needs: "
                "choose a metric computed from labels (e.g. accuracy or f1)"
            )
    return out


def _input_columns(model: Any) -> list[str] | None:
    """The columns the model's signature names, in order (the raw model skips pyfunc's schema step)."""
    schema = model.metadata.get_input_schema()
    return schema.input_names() if schema is not None and schema.has_input_names() else None


def _task_metrics(metric: str, available: set[str]) -> list[str]:
    """The gate's metric first, then the task's other metrics the predictions allow."""
    task = METRICS[metric].task
    others = [name for name, spec in METRICS.items() if spec.task == task and spec.uses in available]
    return [metric, *(name for name in others if name != metric)]


def _score_all(names: list[str], y: Any, predicted: Mapping[str, Any]) -> dict[str, float]:
    scores: dict[str, float] = {}
    for name in names:
        spec = METRICS[name]
        try:
            scores[name] = spec.compute(y, predicted[spec.uses])
        except ValueError:
            if name == names[0]:
                raise
    return scores


def evaluate(
    *,
    metric: str,
    greater_is_better: bool,
    rows: EvalRows,
    challenger_uri: str,
    champion_uri: str,
    champion_version: str,
    confidence: float | None,
    resamples: int = RESAMPLES,
) -> Evaluation:
    """Load both models, score them on the same rows and, with a confidence level and a champion, bootstrap
    the difference. Without a champion only the challenger is scored."""
    import numpy as np

    started = time.perf_counter()
    x, y = rows.x, rows.y
    spec = supported_metric(metric)
    needs = {spec.uses}
    truth = np.asarray(y)
    challenger_model = load_model(challenger_uri, "challenger")
    challenger_pred = predictions(challenger_model, x, needs, "challenger", challenger_uri)
    names = _task_metrics(metric, set(challenger_pred))
    challenger_scores = _score_all(names, truth, challenger_pred)
    champion_scores: dict[str, float] = {}
    interval = None
    if champion_uri:
        champion_model = load_model(champion_uri, "champion")
        champion_pred = predictions(champion_model, x, needs, "champion", champion_uri)
        shared = [n for n in names if n in challenger_scores and METRICS[n].uses in champion_pred]
        champion_scores = _score_all(shared, truth, champion_pred)
        if confidence is not None:
            interval = paired_bootstrap(
                metric,
                truth,
                challenger_pred[spec.uses],
                champion_pred[spec.uses],
                greater_is_better=greater_is_better,
                confidence=confidence,
                resamples=resamples,
            )
    return Evaluation(
        metric,
        greater_is_better,
        rows.data,
        challenger_uri,
        challenger_scores[metric],
        champion_version if champion_uri else "",
        champion_uri,
        champion_scores.get(metric),
        interval,
        challenger_scores,
        champion_scores,
        time.perf_counter() - started,
    )


def ensure_current(evaluation: Evaluation, champion_version: str) -> None:
    """Under the promotion lock: production must still be the version that was scored. Fail closed if it
    moved meanwhile: the gate would otherwise compare with a champion it never scored."""
    ensure_unchanged(evaluation.champion_version, champion_version)


def ensure_unchanged(scored: str, current: str) -> None:
    """`scored`: the production version when the models were scored ("" for none); `current`: now."""
    if scored != current:
        was = f"version {scored}" if scored else "no model"
        now = f"version {current}" if current else "no model"
        raise StaleEvaluation(
            f"production changed while the models were evaluated ({was} was scored, {now} holds it now): "
            "nothing was promoted; re-run the job to evaluate against the new production model"
        )
