"""The tracking server: connecting, experiments, the best-run search and the run's model."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.entities import Run
from mlflow.exceptions import MlflowException

from mlflow_ci.errors import CIError, InputError, ServerError
from mlflow_ci.redact import strip_credentials, strip_credentials_in
from mlflow_ci.tags import TAG_COMMIT, TAG_MLFLOW_GIT_COMMIT, TAG_WORKFLOW_RUN

# MLflow's own defaults retry a dead server for about 4 minutes per call; CI should fail in ~30 s.
# A CI tool sends no telemetry. A user's own settings of these variables win.
CLIENT_DEFAULTS = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "8",
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
}


def apply_client_defaults(environ: MutableMapping[str, str]) -> None:
    for name, value in CLIENT_DEFAULTS.items():
        environ.setdefault(name, value)


def quote(value: str, what: str) -> str:
    """A string literal for an MLflow filter."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise InputError(what, "contains both ' and \"", "use a name with at most one kind of quote")


@contextmanager
def server_errors(tracking_uri: str) -> Iterator[None]:
    """Turn an unreachable or refusing server into one ServerError naming the URI (no credentials)."""
    shown = strip_credentials(tracking_uri)
    unreachable = ServerError(
        f"cannot reach the MLflow tracking server at {shown}: check tracking-uri and that the server is up "
        "and reachable from the runner"
    )
    try:
        yield
    except CIError:
        raise
    except MlflowException as exc:
        message = exc.message
        if "API request to" in message and "failed with exception" in message:  # MLflow's wrapped network error
            raise unreachable from None
        code = exc.error_code
        if code in ("UNAUTHENTICATED", "PERMISSION_DENIED") or "401" in message or "403" in message:
            raise ServerError(
                f"the MLflow server at {shown} refused the request ({code}): set MLFLOW_TRACKING_USERNAME "
                "and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, for a user allowed to do this"
            ) from None
        raise ServerError(f"MLflow at {shown} answered: {strip_credentials_in(_first_line(message))}") from None
    except OSError:  # requests' ConnectionError and timeouts are OSErrors
        raise unreachable from None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:500] if text.strip() else "an error"


def get_experiment_id(client: MlflowClient, name: str, tracking_uri: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        raise InputError(
            "experiment-name",
            f"'{name}' does not exist at {strip_credentials(tracking_uri)}",
            "check the name (it is case-sensitive) and tracking-uri",
        )
    return experiment.experiment_id


@dataclass(frozen=True)
class Scope:
    """Which runs compete, as filter clauses tried in order until one finds runs."""

    name: str
    clauses: tuple[str, ...]


def scope_clauses(scope: str, head_sha: str, checkout_sha: str, workflow_run_id: str) -> Scope:
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


def run_search(metric: str, greater_is_better: bool, user_filter: str, clause: str) -> RunSearch:
    """Finished runs that have `metric` (the metric clause excludes runs without it), best first; ties go to
    the newest run (MLflow orders by start time after the given keys)."""
    parts = [f"metrics.`{metric}` > -1e308", "attributes.status = 'FINISHED'", clause, user_filter]
    direction = "DESC" if greater_is_better else "ASC"
    return RunSearch(" and ".join(p for p in parts if p), (f"metrics.`{metric}` {direction}",))


def top_runs(
    client: MlflowClient,
    experiment_id: str,
    metric: str,
    greater_is_better: bool,
    user_filter: str,
    scope: Scope,
    max_results: int = CANDIDATES,
) -> list[Run]:
    """The best runs, best first, from one server-side query per scope clause (the first that finds runs)."""
    for clause in scope.clauses:
        search = run_search(metric, greater_is_better, user_filter, clause)
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
                    f"is not valid MLflow search syntax ({_first_line(exc.message)})",
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


def metric_of(run: Run, metric: str) -> float | None:
    return run.data.metrics.get(metric)
