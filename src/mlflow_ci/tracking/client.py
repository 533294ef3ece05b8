"""The tracking server: the URI checked and the client made (never a store by accident), the client's
defaults, its errors as one message naming the URI, experiments."""

from __future__ import annotations

import re
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import mlflow
from mlflow import MlflowClient
from mlflow import environment_variables as mlflow_env
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException

from mlflow_ci.errors import CIError, InputError, ServerError
from mlflow_ci.redact import strip_credentials, strip_credentials_in
from mlflow_ci.suggest import did_you_mean
from mlflow_ci.tracking import stores

DATABASES = ("sqlite", "postgresql", "mysql", "mssql")  # SQLAlchemy URIs, optionally with +driver
SCHEMES = ("http", "https", "databricks", "file", *DATABASES)
URI_FIX = (
    "use http(s)://host:port for a server, sqlite:///path/to/mlflow.db for a local store, databricks, or a "
    "database URI such as postgresql://host/db"
)

# MLflow's own defaults retry a dead server for about 4 minutes per call; CI should fail in ~30 s.
# A CI tool sends no telemetry. A user's own settings of these variables win.
CLIENT_DEFAULTS = {
    mlflow_env.MLFLOW_DISABLE_TELEMETRY.name: "true",
    mlflow_env.MLFLOW_HTTP_REQUEST_MAX_RETRIES.name: "2",
    mlflow_env.MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR.name: "1",
    mlflow_env.MLFLOW_HTTP_REQUEST_TIMEOUT.name: "8",
    mlflow_env.MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT.name: "true",
    # Loading a model for eval-data would draw a progress bar per file into the job's log.
    mlflow_env.MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR.name: "false",
}


def apply_client_defaults(environ: MutableMapping[str, str]) -> None:
    for name, value in CLIENT_DEFAULTS.items():
        environ.setdefault(name, value)


def local_store(uri: str) -> Path | None:
    """The file or folder a local store lives in (relative to the current directory), else None."""
    if uri in ("databricks", "databricks-uc", "uc"):  # names, not paths, to MLflow
        return None
    parts = urlsplit(uri)
    if parts.scheme == "sqlite":
        path = uri.removeprefix("sqlite://").removeprefix("/")  # sqlite:///rel.db, sqlite:////abs.db
        return None if path in ("", ":memory:") else Path(path.split("?", 1)[0]).absolute()
    if parts.scheme == "file":
        return Path(parts.path or ".").absolute()
    return Path(uri).absolute() if not parts.scheme else None


def check_tracking_uri(uri: str, *, creates_store: bool) -> None:
    """The URI as MLflow would take it, checked before any client exists: a scheme MLflow tracks to, a host
    for a server, and a local store that exists (a command that trains may create one, in a folder that is)."""
    shown = strip_credentials(uri)
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError as exc:
        raise InputError("tracking-uri", f"'{shown}' is not a valid URI ({exc})", URI_FIX) from None
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme and scheme not in SCHEMES:
        hint = did_you_mean(scheme, SCHEMES)
        raise InputError(
            "tracking-uri",
            f"'{shown}' has the scheme '{parts.scheme}', which MLflow cannot track to{': ' + hint if hint else ''}",
            URI_FIX,
        )
    if scheme in ("http", "https") and not parts.hostname:
        raise InputError("tracking-uri", f"'{shown}' names no host", URI_FIX)
    path = local_store(uri)
    if path is None or path.exists():
        return
    if not creates_store:
        raise InputError(
            "tracking-uri",
            f"'{shown}' is a local store that does not exist: {path}",
            "check the path (this command only reads a store, it never creates one), or train into it first",
        )
    if not path.parent.is_dir():
        raise InputError(
            "tracking-uri",
            f"'{shown}' is a local store in a folder that does not exist: {path.parent}",
            "check the path, or create the folder first",
        )


def open_client(tracking_uri: str, registry_uri: str) -> MlflowClient:
    """The client, its store opened now so that a URI MLflow cannot use is one input error. The URI also
    becomes this process's tracking URI: MLflow's SQL registry finds a logged model through that one."""
    name = "registry-uri" if registry_uri and registry_uri != tracking_uri else "tracking-uri"
    try:
        mlflow.set_tracking_uri(tracking_uri)
        return MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri or None)
    except ImportError as exc:
        raise InputError(
            "tracking-uri",
            f"'{strip_credentials(tracking_uri)}' needs the Python package {exc.name or exc}",
            f"install it next to mlflow-ci (pip install {exc.name or 'it'})",
        ) from None
    except MlflowException as exc:
        if exc.error_code in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST", "INTERNAL_ERROR") or "URI" in exc.message:
            shown = strip_credentials(registry_uri or tracking_uri)
            raise InputError(
                name, f"'{shown}' cannot be used: {strip_credentials_in(first_line(exc.message))}", URI_FIX
            ) from None
        raise
    except ValueError as exc:
        raise InputError(
            name, f"'{strip_credentials(registry_uri or tracking_uri)}' is not valid ({exc})", URI_FIX
        ) from None


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
            status = re.search(r"too many (\d{3}) error responses", message)
            if status:  # it answered, every time, with an error: not a network problem
                raise ServerError(
                    f"the MLflow server at {shown} answered HTTP {status.group(1)} to every try: it is up but "
                    "failing; its own log says why (often its database or artifact store)"
                ) from None
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
    except Exception as exc:
        failure = _client_side(exc, shown)
        if failure is None and not isinstance(exc, OSError):
            raise
        raise failure or unreachable from None


def _client_side(exc: Exception, shown: str) -> CIError | None:
    """What an error raised in this process means: a direct artifact store's client (its credentials, its
    answer), a store client MLflow imported on the way and this Python lacks, or the server's HTTP answer
    (requests' ConnectionError, timeouts and HTTPError are OSErrors). None: not one of these."""
    if (store := stores.client_error(exc)) is not None:
        return store
    if isinstance(exc, ImportError):
        return stores.missing_client_in(exc)
    return _answered(exc, shown) if isinstance(exc, OSError) else None


def _answered(exc: OSError, shown: str) -> ServerError | None:
    """An HTTP error the server answered with (requests' HTTPError carries the response); None for no answer."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status in (401, 403):
        return ServerError(
            f"the MLflow server at {shown} refused the request (HTTP {status}): set MLFLOW_TRACKING_USERNAME "
            "and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, for a user allowed to do this"
        )
    if status is not None:
        return ServerError(f"the MLflow server at {shown} answered HTTP {status}: its own log says why")
    return None


def first_line(text: str) -> str:
    return text.strip().splitlines()[0][:500] if text.strip() else "an error"


def get_experiment_id(client: MlflowClient, name: str, tracking_uri: str) -> str:
    experiment = client.get_experiment_by_name(name)
    where = strip_credentials(tracking_uri)
    if experiment is None:
        hint = did_you_mean(name, experiment_names(client), quote="'")
        raise InputError(
            "experiment-name",
            f"'{name}' does not exist at {where}",
            hint or "check the name (it is case-sensitive) and tracking-uri",
        )
    if experiment.lifecycle_stage == "deleted":
        raise InputError(
            "experiment-name",
            f"'{name}' is deleted at {where}",
            f"restore it or use another (mlflow experiments restore --experiment-id {experiment.experiment_id})",
        )
    return experiment.experiment_id


def experiment_names(client: MlflowClient, limit: int = 1000) -> list[str]:
    """The names of the active experiments on the server (the first `limit`), for "did you mean"."""
    found = client.search_experiments(view_type=ViewType.ACTIVE_ONLY, max_results=limit)
    return [experiment.name for experiment in found]
