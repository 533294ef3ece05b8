"""Results from the real decision code (step.select_and_promote: search, production lookup, gate,
registration plan and registration) on an embedded sqlite store: what the report and the decision record
are tested on."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Protocol

from mlflow import MlflowClient
from mlflow.entities import Metric, Param

from mlflow_ci import inputs, step
from mlflow_ci.github.context import Context
from mlflow_ci.select.decision import Result
from mlflow_ci.tracking.links import UiLinks


class MakeResult(Protocol):
    def __call__(
        self,
        values: list[float],
        *,
        metric: str = ...,
        greater_is_better: bool = ...,
        champion: tuple[int, float] | None = ...,
        threshold: float | None = ...,
        min_improvement: float | None = ...,
        command: str = ...,
        ctx: Context | None = ...,
        params: list[dict[str, str]] | None = ...,
        names: list[str] | None = ...,
    ) -> Result: ...


def sqlite_store(root: Path) -> tuple[str, Path]:
    """(the store's URI, a model folder to log): an MLmodel that lists a flavor, and the flavor's file, which
    is what search looks for and promotion checks."""
    model_dir = root / "model"
    model_dir.mkdir()
    (model_dir / "MLmodel").write_text("artifact_path: model\nflavors:\n  python_function:\n    data: model.pkl\n")
    (model_dir / "model.pkl").write_bytes(b"not loaded by these tests")
    return f"sqlite:///{root}/mlflow.db", model_dir


def maker(uri: str, model_dir: Path, *, model: str, links: UiLinks, ctx: Context) -> MakeResult:
    """A function that logs one finished run per value in a new experiment, optionally puts a version in
    production (`champion`: the rank of its run among the values, or 0 for a run of another experiment, and
    its value), and returns what the step decides."""
    client = MlflowClient(uri, registry_uri=uri)
    default_ctx = ctx
    artifacts = model_dir.parent / "artifacts"  # not the default ./mlruns, in the folder the tests run from

    def experiment(prefix: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        return client.create_experiment(name, artifact_location=(artifacts / name).as_uri())

    def log(experiment_id: str, name: str, metric: str, value: float, params: dict[str, str]) -> str:
        run_id = client.create_run(experiment_id, run_name=name).info.run_id
        client.log_batch(run_id, metrics=[Metric(metric, value, 0, 0)], params=[Param(k, v) for k, v in params.items()])
        client.log_artifacts(run_id, str(model_dir), "model")
        client.set_terminated(run_id)
        return run_id

    def build(
        values: list[float],
        *,
        metric: str = "accuracy",
        greater_is_better: bool = True,
        champion: tuple[int, float] | None = None,
        threshold: float | None = None,
        min_improvement: float | None = None,
        command: str = "ci",
        ctx: Context | None = None,
        params: list[dict[str, str]] | None = None,
        names: list[str] | None = None,
    ) -> Result:
        if client.search_registered_models(f"name = '{model}'"):
            client.delete_registered_model(model)
        experiment_id = experiment("news")
        run_ids = [
            log(experiment_id, (names or [])[i - 1] if names else f"run-{i}", metric, v, (params or [{}] * 99)[i - 1])
            for i, v in enumerate(values, 1)
        ]
        if champion is not None:
            rank, value = champion
            # rank 0: production came from a run outside this experiment
            holder = run_ids[rank - 1] if rank else log(experiment("old"), "old", metric, value, {})
            client.create_registered_model(model)
            version = client.create_model_version(model, f"runs:/{holder}/model", run_id=holder).version
            client.set_registered_model_alias(model, "production", version)
        texts = {**inputs.raw_values({}, {}), "tracking-uri": uri, "command": command, "metric": metric}
        texts.update({"experiment-name": client.get_experiment(experiment_id).name, "model-name": model})
        texts.update({"greater-is-better": str(greater_is_better).lower(), "alias": "production"})
        texts.update({"threshold": "" if threshold is None else str(threshold)})
        texts.update({"min-improvement": "" if min_improvement is None else str(min_improvement)})
        return step.select_and_promote(inputs.parse(texts), ctx or default_ctx, client, links)

    return build
