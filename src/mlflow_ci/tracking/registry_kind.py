"""Which model registry the step talks to, decided once from its URI: what promotion may use there (aliases,
stages) and what a model name must look like.

- `mlflow`: an MLflow server, or a local store: aliases and (deprecated) stages.
- `unity-catalog`: Databricks Unity Catalog (`databricks-uc`, MLflow 3's default for `databricks`) or OSS Unity
  Catalog (`uc:`): three-level names, aliases only.
- `databricks-workspace`: the Databricks workspace model registry (`databricks`): stages only; its client
  refuses aliases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from mlflow.exceptions import MlflowException

from mlflow_ci.errors import InputError, ServerError


class RegistryKind(StrEnum):
    MLFLOW = "mlflow"
    UNITY_CATALOG = "unity-catalog"
    WORKSPACE = "databricks-workspace"


UC_NAME = re.compile(r"[^.\s]+\.[^.\s]+\.[^.\s]+")
# What each Databricks registry asks of a CI principal to register and promote; named when it refuses.
PRIVILEGES = {
    "unity-catalog": "setting an alias needs ownership of the registered model; creating a version needs "
    "ownership or CREATE MODEL VERSION on it (CREATE MODEL on the schema for a new model); all need USE CATALOG "
    "and USE SCHEMA",
    "databricks-workspace": "moving a version to Staging or Production needs CAN MANAGE on the registered model "
    "(or CAN MANAGE STAGING VERSIONS / CAN MANAGE PRODUCTION VERSIONS); creating a version needs CAN EDIT",
}
# A 404 for a path the server does not serve, as opposed to a model or version it does not have: Databricks
# says ENDPOINT_NOT_FOUND, MLflow's own server a bare "404 Not Found".
_NO_ENDPOINT = re.compile(r"(NOT_FOUND: )?404 Not Found\.?", re.IGNORECASE)


@dataclass(frozen=True)
class Registry:
    uri: str
    kind: RegistryKind

    @property
    def has_aliases(self) -> bool:
        return self.kind is not RegistryKind.WORKSPACE

    @property
    def has_stages(self) -> bool:
        return self.kind is not RegistryKind.UNITY_CATALOG

    @property
    def label(self) -> str:
        names = {
            RegistryKind.MLFLOW: "the MLflow registry",
            RegistryKind.UNITY_CATALOG: "Unity Catalog",
            RegistryKind.WORKSPACE: "the Databricks workspace model registry",
        }
        return f"{names[self.kind]} ({self.uri})"

    def alias_skipped(self, alias: str) -> str:
        return f"{self.label} has no aliases: alias {alias} was not set (the stage was)"

    def stage_skipped(self, stage: str) -> str:
        return f"{self.label} has no stages: stage {stage} was not set (the alias was)"


def default_registry_uri(tracking_uri: str) -> str:
    """MLflow's own choice for a tracking URI: `databricks-uc` for `databricks` (keeping a profile), else the
    tracking URI itself."""
    from mlflow.tracking._model_registry.utils import _get_default_registry_uri_for_tracking_uri

    return _get_default_registry_uri_for_tracking_uri(tracking_uri) or tracking_uri


def resolve(registry_uri: str, tracking_uri: str, environ: Mapping[str, str]) -> Registry:
    """The input, else MLFLOW_REGISTRY_URI, else MLflow's default for the tracking URI."""
    uri = registry_uri or environ.get("MLFLOW_REGISTRY_URI", "") or default_registry_uri(tracking_uri)
    return Registry(uri, kind_of(uri))


def kind_of(uri: str) -> RegistryKind:
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else uri.lower()
    if scheme in ("databricks-uc", "uc"):
        return RegistryKind.UNITY_CATALOG
    if scheme == "databricks":
        return RegistryKind.WORKSPACE
    return RegistryKind.MLFLOW


def check_model_name(registry: Registry, model_name: str) -> None:
    """Unity Catalog names models catalog.schema.model: anything else is an input error, before any write."""
    if model_name and registry.kind is RegistryKind.UNITY_CATALOG and not UC_NAME.fullmatch(model_name):
        raise InputError(
            "model-name",
            f"is '{model_name}', but {registry.label} names models catalog.schema.model",
            "use a three-level name such as main.ml.news_classifier, or set registry-uri: databricks for the "
            "workspace model registry",
        )


def check_promotion(registry: Registry, *, alias: str, stage: str) -> None:
    """A promotion the registry cannot make at all: a stage alone on Unity Catalog, an alias alone on the
    workspace registry."""
    if stage and not alias and not registry.has_stages:
        raise InputError(
            "stage", f"is {stage}, but {registry.label} has no stages", "promote with alias: champion instead"
        )
    if alias and not stage and not registry.has_aliases:
        raise InputError(
            "alias", f"is {alias}, but {registry.label} has no aliases", "promote with stage: Production instead"
        )


class NoSuchEndpoint(ServerError):
    title = "model registry"


def is_missing(exc: MlflowException) -> bool:
    """Whether the registry said "no such model, version or alias". A 404 from an endpoint the server does not
    have raises instead: it must never read as "nothing there" (nor as a lock released in between)."""
    if (no_endpoint := endpoint_missing(exc)) is not None:
        raise no_endpoint
    return exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


def endpoint_missing(exc: MlflowException) -> NoSuchEndpoint | None:
    """The error for a 404 from an endpoint the server does not have (never "no such model")."""
    if exc.error_code != "ENDPOINT_NOT_FOUND" and not (
        exc.error_code == "NOT_FOUND" and _NO_ENDPOINT.fullmatch(exc.message.strip())
    ):
        return None
    return NoSuchEndpoint(
        f"the model registry answered 404 for an API it does not serve ({exc.message.strip()[:200]}): MLflow sends "
        "the registry of `databricks` to Unity Catalog, whose endpoints exist only on Databricks. For an MLflow "
        "server or the Databricks workspace model registry set registry-uri (e.g. registry-uri: databricks); "
        "for Unity Catalog check DATABRICKS_HOST"
    )


@contextmanager
def refusals(registry: Registry, model_name: str) -> Iterator[None]:
    """A Databricks registry refusing to register or promote: the error names the privileges it takes."""
    try:
        yield
    except MlflowException as exc:
        needed = PRIVILEGES.get(registry.kind.value)
        if needed is None or exc.error_code not in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
            raise
        raise ServerError(
            f"{registry.label} refused to register or promote '{model_name}' ({exc.error_code}): {needed}. "
            "Grant those to the identity behind DATABRICKS_TOKEN"
        ) from None
