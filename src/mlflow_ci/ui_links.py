"""Links into the MLflow UI: runs and model versions, on open-source MLflow servers and Databricks workspaces."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from mlflow_ci.redact import strip_credentials


@dataclass(frozen=True)
class UiLinks:
    base: str  # the UI's root, no trailing slash and no credentials
    databricks: bool = False

    @classmethod
    def for_server(cls, tracking_uri: str, databricks_host: str = "") -> UiLinks | None:
        """Links for an http(s) tracking server or a Databricks workspace; None where there is no UI to link to
        (the embedded sqlite store, a file store, Databricks without a known host)."""
        if urlsplit(tracking_uri).scheme in ("http", "https"):
            return cls(strip_credentials(tracking_uri).rstrip("/"))
        if databricks_host:
            return cls(strip_credentials(databricks_host).rstrip("/"), databricks=True)
        return None

    def run(self, experiment_id: str, run_id: str) -> str:
        if self.databricks:
            return f"{self.base}/ml/experiments/{experiment_id}/runs/{run_id}"
        return f"{self.base}/#/experiments/{experiment_id}/runs/{run_id}"

    def model_version(self, name: str, version: str) -> str:
        if self.databricks and name.count(".") == 2:  # Unity Catalog: catalog.schema.model
            return f"{self.base}/explore/data/models/{quote(name.replace('.', '/'))}/version/{version}"
        if self.databricks:  # the workspace registry, by the route MLflow's own links use
            return f"{self.base}/#mlflow/models/{quote(name, safe='')}/versions/{version}"
        return f"{self.base}/#/models/{quote(name, safe='')}/versions/{version}"


def run_url(links: UiLinks | None, experiment_id: str, run_id: str) -> str:
    return links.run(experiment_id, run_id) if links else ""


def model_version_url(links: UiLinks | None, name: str, version: str) -> str:
    return links.model_version(name, version) if links and name and version else ""
