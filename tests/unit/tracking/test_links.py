"""Links into the MLflow UI, on open-source servers and Databricks workspaces."""

import pytest

from mlflow_ci.tracking.links import UiLinks, databricks_host


@pytest.mark.parametrize(
    "uri,host,run,version",
    [
        (
            "https://bot:pw@mlflow.example.com/",
            "",
            "https://mlflow.example.com/#/experiments/1/runs/abc",
            "https://mlflow.example.com/#/models/My%20Model/versions/2",
        ),
        (
            "databricks",
            "https://adb-1.azuredatabricks.net",
            "https://adb-1.azuredatabricks.net/ml/experiments/1/runs/abc",
            "https://adb-1.azuredatabricks.net/#mlflow/models/My%20Model/versions/2",
        ),
    ],
)
def test_ui_links(uri, host, run, version):
    links = UiLinks.for_server(uri, host)
    assert links is not None
    assert links.run("1", "abc") == run and links.model_version("My Model", "2") == version


def test_unity_catalog_versions_link_to_catalog_explorer():
    links = UiLinks.for_server("databricks", "https://adb-1.azuredatabricks.net")
    assert links and links.model_version("main.ml.news", "4") == (
        "https://adb-1.azuredatabricks.net/explore/data/models/main/ml/news/version/4"
    )


def test_no_links_without_a_ui():
    assert UiLinks.for_server("sqlite:///mlflow.db") is None
    assert UiLinks.for_server("databricks", "") is None


def test_databricks_host_from_the_environment_or_the_profile(tmp_path):
    assert databricks_host("databricks", {"DATABRICKS_HOST": "adb-1.net/"}) == "https://adb-1.net"
    cfg = tmp_path / "cfg"
    cfg.write_text("[DEFAULT]\nhost = https://default.net\n[prod]\nhost = https://prod.net\n")
    environ = {"DATABRICKS_CONFIG_FILE": str(cfg)}
    assert databricks_host("databricks", environ) == "https://default.net"
    assert databricks_host("databricks://prod", environ) == "https://prod.net"
    assert databricks_host("databricks://missing", environ) == ""  # as the SDK: an unknown profile has no host
    assert databricks_host("http://mlflow:5000", environ) == ""
    assert databricks_host("databricks", {"DATABRICKS_CONFIG_FILE": str(tmp_path / "none")}) == ""
