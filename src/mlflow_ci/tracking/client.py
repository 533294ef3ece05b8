"""The tracking server: the client's defaults, its errors as one message naming the URI, experiments."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager

from mlflow import MlflowClient
from mlflow import environment_variables as mlflow_env
from mlflow.exceptions import MlflowException

from mlflow_ci.errors import CIError, InputError, ServerError
from mlflow_ci.redact import strip_credentials, strip_credentials_in

# MLflow's own defaults retry a dead server for about 4 minutes per call; CI should fail in ~30 s.
# A CI tool sends no telemetry. A user's own settings of these variables win.
CLIENT_DEFAULTS = {
    mlflow_env.MLFLOW_DISABLE_TELEMETRY.name: "true",
    mlflow_env.MLFLOW_HTTP_REQUEST_MAX_RETRIES.name: "2",
    mlflow_env.MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR.name: "1",
    mlflow_env.MLFLOW_HTTP_REQUEST_TIMEOUT.name: "8",
    mlflow_env.MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT.name: "true",
}


def apply_client_defaults(environ: MutableMapping[str, str]) -> None:
    for name, value in CLIENT_DEFAULTS.items():
        environ.setdefault(name, value)


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
        if "API request to" in message and "failed with" in message:  # MLflow's wrapped network error
            if "timeout" in message.lower() or "timed out" in message.lower():
                raise ServerError(
                    f"the MLflow tracking server at {shown} accepted the connection but did not answer in time "
                    f"({mlflow_env.MLFLOW_HTTP_REQUEST_TIMEOUT.name}={mlflow_env.MLFLOW_HTTP_REQUEST_TIMEOUT.get()} "
                    "s per request): check that it is not overloaded or stuck"
                ) from None
            raise unreachable from None
        code = exc.error_code
        if code in ("UNAUTHENTICATED", "PERMISSION_DENIED") or "401" in message or "403" in message:
            raise ServerError(
                f"the MLflow server at {shown} refused the request ({code}): set MLFLOW_TRACKING_USERNAME "
                "and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, for a user allowed to do this"
            ) from None
        raise ServerError(f"MLflow at {shown} answered: {strip_credentials_in(first_line(message))}") from None
    except OSError:  # requests' ConnectionError and timeouts are OSErrors
        raise unreachable from None


def first_line(text: str) -> str:
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
