"""Links into the MLflow UI: runs and model versions, on open-source MLflow servers and Databricks workspaces."""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
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


def databricks_host(tracking_uri: str, environ: Mapping[str, str]) -> str:
    """The Databricks workspace URL behind `databricks` or `databricks://<profile>`, for UI links; '' if unknown.

    Read from DATABRICKS_HOST or the profile in ~/.databrickscfg, as the Databricks SDK would, but without the
    SDK, which asks the host for metadata over the network first.
    """
    if tracking_uri != "databricks" and not tracking_uri.startswith("databricks://"):
        return ""
    profile = tracking_uri.removeprefix("databricks").removeprefix("://").split(":", 1)[0]
    if not profile and environ.get("DATABRICKS_HOST"):
        return _https(environ["DATABRICKS_HOST"])
    config = configparser.ConfigParser()
    path = environ.get("DATABRICKS_CONFIG_FILE") or str(Path(environ.get("HOME", "~")).expanduser() / ".databrickscfg")
    try:
        config.read(path, encoding="utf-8")
    except (OSError, configparser.Error):
        return ""
    section = profile or environ.get("DATABRICKS_CONFIG_PROFILE") or "DEFAULT"
    host = config.get(section, "host", fallback="") if section == "DEFAULT" or config.has_section(section) else ""
    return _https(host) if host else ""


def _https(host: str) -> str:
    host = host.strip().rstrip("/")
    return host if host.startswith(("https://", "http://")) else f"https://{host}"
