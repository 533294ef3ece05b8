"""The sweep file: read it, check every key against scikit-learn, and expand the grids into candidates,
all before any training starts. A mistake is one error naming the file, the key and the fix.

    dataset: {sklearn: iris}      # or {csv: data.csv, target: label, features: text}, or {loader: pkg.mod:func}
    metrics: [accuracy, f1]       # the first is the one printed; all are logged
    split: {test_size: 0.25}      # or cv: 5
    seed: 42
    candidates:
      - name: logreg
        estimator: sklearn.linear_model.LogisticRegression   # or a list: a pipeline of these steps
        params: {max_iter: 500}
        grid: {C: [0.1, 1.0, 10.0]}
"""

from __future__ import annotations

import importlib
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlflow_ci.errors import InputError
from mlflow_ci.scoring import METRICS

TOP_KEYS = ("dataset", "metrics", "split", "cv", "seed", "candidates")
CANDIDATE_KEYS = ("name", "estimator", "params", "grid")
DATASET_KINDS = ("sklearn", "csv", "loader")
DATASET_KEYS = {"sklearn": ("sklearn",), "csv": ("csv", "target", "features"), "loader": ("loader", "kwargs")}
MAX_CANDIDATES = 200
_NOT_TABULAR = {"load_files", "load_svmlight_file", "load_svmlight_files", "load_sample_image", "load_sample_images"}


class SweepConfigError(InputError):
    def __init__(self, path: Path | str, key: str, problem: str, fix: str) -> None:
        where = f"{path}: {key}" if key else str(path)
        super().__init__("sweep-config", f"{where}: {problem}", fix)


@dataclass(frozen=True)
class Dataset:
    kind: str  # sklearn | csv | loader
    source: str  # the bundled name, the CSV path, or module:function
    target: str = ""
    features: tuple[str, ...] | str = ()  # a str: one text column, passed to the model as 1-D
    kwargs: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.kind}:{self.source}" + (f"[{self.target}]" if self.target else "")


@dataclass(frozen=True)
class Candidate:
    name: str
    estimator: tuple[str, ...]  # class paths; more than one makes a pipeline
    params: dict[str, Any]

    def build(self) -> Any:
        steps = [import_class(path)() for path in self.estimator]
        if len(steps) == 1:
            model = steps[0]
        else:
            from sklearn.pipeline import make_pipeline

            model = make_pipeline(*steps)
        return model.set_params(**self.params)


@dataclass(frozen=True)
class Sweep:
    path: Path
    dataset: Dataset
    metrics: tuple[str, ...]
    test_size: float  # 0 when cv is used
    cv: int
    seed: int
    candidates: tuple[Candidate, ...]
    is_classifier: bool


def import_class(path: str) -> type:
    module_name, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def _mapping(value: Any, path: Path, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SweepConfigError(path, key, f"is {type(value).__name__}, not a mapping", "write it as key: value lines")
    return value


def _unknown(given: dict[str, Any], allowed: tuple[str, ...], path: Path, where: str) -> None:
    for key in given:
        if key not in allowed:
            raise SweepConfigError(
                path, f"{where}{key}", "is not a known key", f"use one of {', '.join(allowed)} (check the spelling)"
            )


def load(path_text: str, workspace: Path) -> Sweep:
    path = Path(path_text)
    full = path if path.is_absolute() else workspace / path
    if not full.is_file():
        raise SweepConfigError(path, "", "does not exist", "give the path of the sweep YAML relative to the workspace")
    try:
        data = yaml.safe_load(full.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise SweepConfigError(path, "", f"is not valid YAML{line}", "fix the YAML syntax") from None
    data = _mapping(data, path, "")
    _unknown(data, TOP_KEYS, path, "")

    metrics = _metrics(data, path)
    candidates = _candidates(data, path)
    classifier = _check_task(candidates, metrics, path)
    test_size, cv = _split(data, path)
    seed = data.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise SweepConfigError(path, "seed", f"'{seed}' is not a whole number", "use a seed such as 42")
    dataset = _dataset(data.get("dataset"), path, full.parent, workspace)
    return Sweep(path, dataset, metrics, test_size, cv, seed, candidates, classifier)


def _check_task(candidates: tuple[Candidate, ...], metrics: tuple[str, ...], path: Path) -> bool:
    """Every candidate of one kind (classifier or regressor), every metric fit for it; True for classifiers."""
    from sklearn.base import is_classifier

    classifier = is_classifier(candidates[0].build())
    for candidate in candidates[1:]:
        if is_classifier(candidate.build()) != classifier:
            raise SweepConfigError(
                path,
                f"candidates ({candidate.name})",
                "mixes classifiers and regressors",
                "sweep one kind of model per file",
            )
    task = "classification" if classifier else "regression"
    for name in metrics:
        if METRICS[name].task != task:
            raise SweepConfigError(
                path,
                "metrics",
                f"'{name}' is a {METRICS[name].task} metric but the candidates are {task} models",
                f"use {task} metrics: {', '.join(n for n, m in METRICS.items() if m.task == task)}",
            )
    for candidate in candidates:
        model = candidate.build()
        for name in metrics:
            uses = METRICS[name].uses
            if (uses == "proba" and not hasattr(model, "predict_proba")) or (
                uses == "score" and not (hasattr(model, "predict_proba") or hasattr(model, "decision_function"))
            ):
                raise SweepConfigError(
                    path,
                    "metrics",
                    f"'{name}' needs predicted probabilities but candidate {candidate.name} gives none",
                    "drop the metric, or use an estimator with predict_proba",
                )
    return classifier


def _metrics(data: dict[str, Any], path: Path) -> tuple[str, ...]:
    metrics = data.get("metrics")
    if isinstance(metrics, str):
        metrics = [metrics]
    if not metrics or not isinstance(metrics, list):
        raise SweepConfigError(path, "metrics", "is missing", f"list the metrics to log, from {', '.join(METRICS)}")
    for name in metrics:
        if name not in METRICS:
            raise SweepConfigError(path, "metrics", f"'{name}' is not a known metric", f"use {', '.join(METRICS)}")
    return tuple(dict.fromkeys(metrics))


def _split(data: dict[str, Any], path: Path) -> tuple[float, int]:
    if "cv" in data and "split" in data:
        raise SweepConfigError(path, "cv", "and split are both set", "keep one: a hold-out split or k-fold cv")
    if "cv" in data:
        cv = data["cv"]
        if not isinstance(cv, int) or isinstance(cv, bool) or cv < 2:
            raise SweepConfigError(path, "cv", f"'{cv}' is not a number of folds", "use a whole number of 2 or more")
        return 0.0, cv
    split = _mapping(data.get("split") or {}, path, "split")
    _unknown(split, ("test_size",), path, "split.")
    size = split.get("test_size", 0.25)
    if not isinstance(size, int | float) or isinstance(size, bool) or not 0 < size < 1:
        raise SweepConfigError(path, "split.test_size", f"'{size}' is not a fraction", "use a number such as 0.25")
    return float(size), 0


def _candidates(data: dict[str, Any], path: Path) -> tuple[Candidate, ...]:
    entries = data.get("candidates")
    if not entries or not isinstance(entries, list):
        raise SweepConfigError(
            path, "candidates", "is missing", "list at least one candidate with an estimator class path"
        )
    out: list[Candidate] = []
    for index, entry in enumerate(entries):
        where = f"candidates[{index}]"
        entry = _mapping(entry, path, where)
        _unknown(entry, CANDIDATE_KEYS, path, f"{where}.")
        classes = _estimator(entry.get("estimator"), path, f"{where}.estimator")
        params = _mapping(entry.get("params") or {}, path, f"{where}.params")
        grid = _mapping(entry.get("grid") or {}, path, f"{where}.grid")
        for key, values in grid.items():
            if not isinstance(values, list) or not values:
                raise SweepConfigError(
                    path, f"{where}.grid.{key}", "is not a list of values", f"write it as {key}: [value, ...]"
                )
        base = str(entry.get("name") or classes[-1].rpartition(".")[2].lower())
        if not re.fullmatch(r"[\w.\-]{1,200}", base):
            raise SweepConfigError(path, f"{where}.name", f"'{base}' is not a plain name", "use letters, digits, _-.")
        points = [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]
        for point in points:
            candidate = Candidate(
                base if len(points) == 1 else f"{base}[{','.join(f'{k}={v}' for k, v in point.items())}]",
                classes,
                {**params, **point},
            )
            _check_params(candidate, path, where)
            out.append(candidate)
    if len(out) > MAX_CANDIDATES:
        raise SweepConfigError(
            path, "candidates", f"expand to {len(out)} runs", f"keep the grids under {MAX_CANDIDATES} runs"
        )
    names = [c.name for c in out]
    for name in names:
        if names.count(name) > 1:
            raise SweepConfigError(path, "candidates", f"name '{name}' is used twice", "give each candidate a name")
    return tuple(out)


def _estimator(value: Any, path: Path, key: str) -> tuple[str, ...]:
    from sklearn.base import BaseEstimator

    paths = value if isinstance(value, list) else [value]
    if not paths or not all(isinstance(p, str) and p for p in paths):
        raise SweepConfigError(
            path, key, "is missing", "give a scikit-learn class path such as sklearn.linear_model.LogisticRegression"
        )
    for class_path in paths:
        try:
            cls = import_class(class_path)
        except (ImportError, AttributeError, ValueError):
            cls = None
        if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
            raise SweepConfigError(
                path,
                key,
                f"'{class_path}' is not a scikit-learn estimator class",
                "give its full class path, e.g. sklearn.linear_model.LogisticRegression",
            )
    return tuple(paths)


def _check_params(candidate: Candidate, path: Path, where: str) -> None:
    try:
        model = candidate.build()
        # scikit-learn checks parameter values only in fit(); its own checker says the same thing now.
        checks = [model, *(step for _, step in getattr(model, "steps", []))]
        for item in checks:
            if hasattr(item, "_validate_params"):
                item._validate_params()
    except (ValueError, TypeError) as exc:
        message = " ".join(str(exc).split())[:300]
        raise SweepConfigError(
            path,
            f"{where} ({candidate.name})",
            f"has a bad parameter: {message}",
            "use the parameter names and values of the estimator's scikit-learn documentation "
            "(a pipeline's are step__param, e.g. logisticregression__C)",
        ) from None


def _dataset(value: Any, path: Path, config_dir: Path, workspace: Path) -> Dataset:
    if isinstance(value, str):
        value = {"sklearn": value}
    spec = _mapping(value, path, "dataset") if value is not None else None
    kinds = [k for k in DATASET_KINDS if spec and k in spec]
    if spec is None or len(kinds) != 1:
        raise SweepConfigError(
            path,
            "dataset",
            "needs exactly one of sklearn, csv or loader",
            "e.g. dataset: {sklearn: iris}, {csv: data.csv, target: label} or {loader: mypkg.data:load}",
        )
    kind = kinds[0]
    _unknown(spec, DATASET_KEYS[kind], path, "dataset.")
    source = str(spec[kind])
    if kind == "sklearn":
        import sklearn.datasets

        if not callable(getattr(sklearn.datasets, f"load_{source}", None)):
            bundled = sorted(
                n.removeprefix("load_")
                for n in dir(sklearn.datasets)
                if n.startswith("load_") and n not in _NOT_TABULAR
            )
            raise SweepConfigError(
                path, "dataset.sklearn", f"'{source}' is not a bundled dataset", f"use one of {', '.join(bundled)}"
            )
        return Dataset(kind, source)
    if kind == "loader":
        kwargs = _mapping(spec.get("kwargs") or {}, path, "dataset.kwargs")
        if not re.fullmatch(r"[\w.]+:\w+", source):
            raise SweepConfigError(path, "dataset.loader", f"'{source}' is not module:function", "e.g. mypkg.data:load")
        return Dataset(kind, source, kwargs=kwargs)
    return _csv(spec, source, path, config_dir, workspace)


def _csv(spec: dict[str, Any], source: str, path: Path, config_dir: Path, workspace: Path) -> Dataset:
    import csv

    candidates = [Path(source)] if Path(source).is_absolute() else [workspace / source, config_dir / source]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise SweepConfigError(
            path, "dataset.csv", f"'{source}' does not exist", "give the CSV path relative to the workspace"
        )
    with found.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), [])
    target = str(spec.get("target") or "")
    if target not in header:
        raise SweepConfigError(
            path,
            "dataset.target",
            f"'{target}' is not a column of {source}" if target else "is missing",
            f"name the label column, one of {', '.join(header[:20])}",
        )
    features = spec.get("features", ())
    wanted = [features] if isinstance(features, str) else list(features)
    for column in wanted:
        if column not in header or column == target:
            raise SweepConfigError(
                path,
                "dataset.features",
                f"'{column}' is not a feature column of {source}",
                f"use columns of {', '.join(h for h in header[:20] if h != target)}",
            )
    return Dataset("csv", str(found), target, features if isinstance(features, str) else tuple(wanted))
