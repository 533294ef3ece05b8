"""The parameter table: where each value comes from, how it is parsed, and the rules between parameters."""

import pytest

from mlflow_ci import inputs as params
from mlflow_ci.errors import InputError

BASE = {"experiment-name": "exp", "metric": "accuracy", "model-name": "m"}


def settings(environ: dict[str, str] | None = None, **overrides: str) -> params.Settings:
    values = params.raw_values({}, environ or {})
    values.update(BASE)
    values.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return params.parse(values)


def test_defaults_follow_the_table():
    s = settings()
    assert (s.command.name, s.scope, s.register, s.greater_is_better, s.fail_on_gate) == (
        "ci",
        "experiment",
        "auto",
        True,
        True,
    )
    assert s.tracking_uri == "sqlite:///mlflow.db"
    assert s.threshold is None and s.min_improvement is None


def test_flag_beats_runner_input_beats_mapped_input_beats_environment():
    environ = {"INPUT_METRIC": "mapped", "INPUT_TRACKING_URI": "", "MLFLOW_TRACKING_URI": "http://from-env:5000"}
    assert params.raw_values({}, environ)["metric"] == "mapped"
    assert params.raw_values({}, {**environ, "INPUT_METRIC": "  spaced  "})["metric"] == "spaced"
    assert params.raw_values({}, environ)["tracking-uri"] == "http://from-env:5000"
    assert params.raw_values({"metric": "flag"}, environ)["metric"] == "flag"
    assert params.raw_values({}, {"INPUT_MODEL-NAME": "runner", "INPUT_MODEL_NAME": "mapped"})["model-name"] == "runner"


@pytest.mark.parametrize(
    "text,expected",
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False)],
)
def test_booleans_accept_what_actions_core_accepts(text, expected):
    assert settings(greater_is_better=text).greater_is_better is expected


@pytest.mark.parametrize(
    "overrides,input_name",
    [
        ({"greater_is_better": "yes"}, "greater-is-better"),
        ({"threshold": "abc"}, "threshold"),
        ({"threshold": "nan"}, "threshold"),
        ({"min_improvement": "-0.1"}, "min-improvement"),
        ({"scope": "branch"}, "scope"),
        ({"register": "sometimes"}, "register"),
        ({"command": "deploy"}, "command"),
        ({"experiment_name": ""}, "experiment-name"),
        ({"metric": ""}, "metric"),
        ({"metric": "a`b"}, "metric"),
        ({"stage": "Archived"}, "stage"),
        ({"alias": "prod.blue"}, "alias"),
        ({"alias": "latest"}, "alias"),
        ({"alias": "v3"}, "alias"),
        ({"model_name": ""}, "model-name"),
        ({"model_name": "", "command": "gate", "min_improvement": "0", "alias": "prod"}, "min-improvement"),
        ({"min_improvement": "0.1"}, "min-improvement"),  # no alias nor stage to compare with
        ({"dvc": "maybe"}, "dvc"),
        ({"dvc_commit_lock": "yes"}, "dvc-commit-lock"),
        ({"dvc_commit_lock": "true", "dvc": "false", "train_command": "dvc repro"}, "dvc-commit-lock"),
        ({"dvc_commit_lock": "true"}, "dvc-commit-lock"),  # nothing trains, so no lock to commit
    ],
)
def test_bad_input_names_the_input_and_the_fix(overrides, input_name):
    with pytest.raises(InputError) as caught:
        settings(**overrides)
    assert caught.value.input_name == input_name
    assert str(caught.value).startswith(f"input '{input_name}' ")
    assert ": " in str(caught.value)  # problem: fix


def test_model_name_is_optional_when_nothing_registers():
    assert settings(model_name="", register="never").model_name == ""
    assert settings(model_name="", command="best-run").model_name == ""


def test_stage_gives_the_default_alias_and_is_canonical():
    s = settings(stage="production")
    assert s.canonical_stage == "Production"
    assert s.promotion_alias == "production"
    assert settings(stage="Staging", alias="champion").promotion_alias == "champion"


def test_secrets_come_from_credentials_only():
    values = {**params.raw_values({}, {}), "tracking-uri": "https://bot:s3cret@mlflow.example.com"}
    environ = {"MLFLOW_TRACKING_PASSWORD": "pw-123", "MLFLOW_TRACKING_TOKEN": "tok-456"}
    assert sorted(params.secret_values(values, environ)) == ["pw-123", "s3cret", "tok-456"]


def test_defaults():
    s = settings()
    assert (s.comment, s.github_token) == ("auto", "")
    report = settings(command="report", model_name="").command  # reports need no model name
    assert report.name == "report" and report.reports and not report.may_register


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


def test_every_command_is_in_the_table_once_and_only_ci_and_train_train():
    names = [c.name for c in params.COMMANDS]
    assert len(names) == len(set(names)) == len(params.PARAMS_BY_NAME["command"].choices)
    assert {c.name for c in params.COMMANDS if c.trains} == {"ci", "train"}
    assert {c.name for c in params.COMMANDS if c.may_register} == {"ci", "register"}
    assert {c.name for c in params.COMMANDS if c.fails_on_gate} == {"ci", "gate"}


def test_registry_uri_comes_from_the_input_else_MLFLOW_REGISTRY_URI():
    assert settings({"MLFLOW_REGISTRY_URI": "databricks-uc"}).registry_uri == "databricks-uc"
    assert settings({"MLFLOW_REGISTRY_URI": "x", "INPUT_REGISTRY_URI": "databricks"}).registry_uri == "databricks"
    assert settings().registry_uri == ""
