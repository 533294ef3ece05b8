"""The best-run search: which runs compete (scope), one ranked server-side query, and a run's model."""

from __future__ import annotations

from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.entities import Run
from mlflow.exceptions import MlflowException

from mlflow_ci.errors import InputError
from mlflow_ci.tracking.client import first_line
from mlflow_ci.tracking.tags import TAG_COMMIT, TAG_MLFLOW_GIT_COMMIT, TAG_WORKFLOW_RUN


@dataclass(frozen=True)
class Scope:
    """Which runs compete, as filter clauses tried in order until one finds runs."""

    name: str
    clauses: tuple[str, ...]


def scope_clauses(scope: str, *, head_sha: str, checkout_sha: str, workflow_run_id: str) -> Scope:
    if scope == "experiment":
        return Scope(scope, ("",))
    if scope == "commit":
        if not head_sha:
            raise InputError(
                "scope",
                "is commit but no commit is known (GITHUB_SHA is unset)",
                "run it in GitHub Actions or use scope: experiment",
            )
        # Runs the action trained carry its tag; runs a user's script logged carry MLflow's git tag.
        return Scope(
            scope,
            (f"tags.`{TAG_COMMIT}` = '{head_sha}'", f"tags.`{TAG_MLFLOW_GIT_COMMIT}` = '{checkout_sha or head_sha}'"),
        )
    if not workflow_run_id:
        raise InputError(
            "scope",
            "is workflow-run but no workflow run is known (GITHUB_RUN_ID is unset)",
            "run it in GitHub Actions or use scope: experiment",
        )
    return Scope(scope, (f"tags.`{TAG_WORKFLOW_RUN}` = '{workflow_run_id}'",))


# The candidates the report lists; the best run is the first of them.
CANDIDATES = 10


@dataclass(frozen=True)
class RunSearch:
    """One server-side search: the filter and order every ranking of runs uses."""

    filter_string: str
    order_by: tuple[str, ...]


def run_search(*, metric: str, greater_is_better: bool, user_filter: str, clause: str) -> RunSearch:
    """Finished runs that have `metric` (the metric clause excludes runs without it), best first; ties go to
    the newest run (MLflow orders by start time after the given keys)."""
    parts = [f"metrics.`{metric}` > -1e308", "attributes.status = 'FINISHED'", clause, user_filter]
    direction = "DESC" if greater_is_better else "ASC"
    return RunSearch(" and ".join(p for p in parts if p), (f"metrics.`{metric}` {direction}",))


def top_runs(
    client: MlflowClient,
    experiment_id: str,
    *,
    metric: str,
    greater_is_better: bool,
    user_filter: str,
    scope: Scope,
    max_results: int = CANDIDATES,
) -> list[Run]:
    """The best runs, best first, from one server-side query per scope clause (the first that finds runs)."""
    for clause in scope.clauses:
        search = run_search(metric=metric, greater_is_better=greater_is_better, user_filter=user_filter, clause=clause)
        try:
            runs = client.search_runs(
                [experiment_id],
                filter_string=search.filter_string,
                order_by=list(search.order_by),
                max_results=max_results,
            )
        except MlflowException as exc:
            if user_filter and exc.error_code == "INVALID_PARAMETER_VALUE":
                raise InputError(
                    "filter",
                    f"is not valid MLflow search syntax ({first_line(exc.message)})",
                    "write clauses like params.model = 'lr' joined by 'and' (no 'or')",
                ) from None
            raise
        if runs:
            return list(runs)
    return []


def model_uri_of(client: MlflowClient, run: Run) -> str | None:
    """The run's model: its last MLflow 3 logged model, else a classic model directory in its artifacts."""
    outputs = run.outputs.model_outputs if run.outputs else []
    if outputs:
        latest = max(outputs, key=lambda output: output.step)
        return f"models:/{latest.model_id}"
    run_id = run.info.run_id
    for entry in client.list_artifacts(run_id):
        if entry.is_dir and any(f.path.endswith("/MLmodel") for f in client.list_artifacts(run_id, entry.path)):
            return f"runs:/{run_id}/{entry.path}"
    return None
