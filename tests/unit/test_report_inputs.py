"""The report's inputs (comment, github-token, the report command), UI links and the report files."""

from __future__ import annotations

import contextlib
import io
import json
import math

import pytest

from mlflow_ci import cli, params, report_files
from mlflow_ci.github import load_context
from mlflow_ci.result import Candidate, Result
from mlflow_ci.ui_links import UiLinks

BASE = {"experiment-name": "exp", "metric": "accuracy", "model-name": "m"}


def settings(environ: dict[str, str] | None = None, **overrides: str) -> params.Settings:
    values = params.raw_values({}, environ or {})
    values.update(BASE)
    values.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return params.parse(values)


def test_defaults():
    s = settings()
    assert (s.comment, s.github_token) == ("auto", "")
    assert "report" in params.COMMANDS
    assert settings(command="report", model_name="").command == "report"  # reports need no model name


def test_token_comes_from_the_input_else_GITHUB_TOKEN():
    assert settings({"INPUT_GITHUB_TOKEN": "from-input", "GITHUB_TOKEN": "env"}).github_token == "from-input"
    assert settings({"GITHUB_TOKEN": "env"}).github_token == "env"


def test_the_token_is_a_secret_and_stays_out_of_reprs():
    values = {**params.raw_values({}, {"INPUT_GITHUB_TOKEN": "ghs_s3cret"}), **BASE}
    assert "ghs_s3cret" in params.secret_values(values, {})
    assert "ghs_s3cret" not in repr(params.parse(values))


def test_action_default_is_the_workflow_token_but_the_cli_has_none():
    token = params.PARAMS_BY_NAME["github-token"]
    assert token.action_yml_default == "${{ github.token }}" and token.default == ""


def test_a_bad_comment_value_is_one_error_line_naming_the_input():
    stream = io.StringIO()
    environ = {
        "GITHUB_ACTIONS": "true",
        "INPUT_COMMENT": "yes",
        **{f"INPUT_{k.upper().replace('-', '_')}": v for k, v in BASE.items()},
    }
    with contextlib.redirect_stdout(stream):
        code = cli.main([], environ)
    assert code == 2
    assert stream.getvalue() == (
        "::error title=input comment::input 'comment' 'yes' is not one of auto, true, false: "
        "use one of auto, true, false.\n"
    )


def test_github_api_url_and_workspace_come_from_the_runner():
    ctx = load_context({"GITHUB_API_URL": "https://ghe.example.com/api/v3/", "GITHUB_WORKSPACE": "/ws"})
    assert ctx.api_url == "https://ghe.example.com/api/v3" and ctx.workspace == "/ws"
    assert load_context({}).api_url == "https://api.github.com"


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
    assert params.databricks_host("databricks", {"DATABRICKS_HOST": "adb-1.net/"}) == "https://adb-1.net"
    cfg = tmp_path / "cfg"
    cfg.write_text("[DEFAULT]\nhost = https://default.net\n[prod]\nhost = https://prod.net\n")
    environ = {"DATABRICKS_CONFIG_FILE": str(cfg)}
    assert params.databricks_host("databricks", environ) == "https://default.net"
    assert params.databricks_host("databricks://prod", environ) == "https://prod.net"
    assert params.databricks_host("databricks://missing", environ) == ""  # as the SDK: an unknown profile has no host
    assert params.databricks_host("http://mlflow:5000", environ) == ""
    assert params.databricks_host("databricks", {"DATABRICKS_CONFIG_FILE": str(tmp_path / "none")}) == ""


def test_report_dir_is_per_experiment(tmp_path):
    assert report_files.report_dir(tmp_path, "/Users/me@x.com/news exp") == (
        tmp_path / "mlflow-ci-report" / "Users-me-x.com-news-exp"
    )
    assert report_files.report_dir(tmp_path, "///").name == "experiment"


def test_metrics_json_is_valid_json_even_for_infinite_metrics(tmp_path):
    result = Result(
        "report",
        "e",
        "1",
        "loss",
        False,
        "r1",
        0.5,
        "models:/m-1",
        "",
        candidates=[Candidate("r1", "a", 0.5, "", {"p": "1"}), Candidate("r2", "b", math.inf, "", {})],
    )
    text = report_files.dumps(report_files.metrics_document(result, load_context({})))
    document = json.loads(text)
    assert document["schema"] == "mlflow-ci-report/1"
    assert [c["value"] for c in document["candidates"]] == [0.5, None]
    assert document["production"] is None and document["gate"] is None
