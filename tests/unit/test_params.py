import pytest

from mlflow_ci import params
from mlflow_ci.errors import InputError

BASE = {"experiment-name": "exp", "metric": "accuracy", "model-name": "m"}


def settings(**overrides: str) -> params.Settings:
    values = params.raw_values({}, {})
    values.update(BASE)
    values.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return params.parse(values)


def test_defaults_follow_the_table():
    s = settings()
    assert (s.command, s.scope, s.register, s.greater_is_better, s.fail_on_gate) == (
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
    assert params.canonical_stage(s) == "Production"
    assert params.promotion_alias(s) == "production"
    assert params.promotion_alias(settings(stage="Staging", alias="champion")) == "champion"


def test_secrets_come_from_credentials_only():
    values = {**params.raw_values({}, {}), "tracking-uri": "https://bot:s3cret@mlflow.example.com"}
    environ = {"MLFLOW_TRACKING_PASSWORD": "pw-123", "MLFLOW_TRACKING_TOKEN": "tok-456"}
    assert sorted(params.secret_values(values, environ)) == ["pw-123", "s3cret", "tok-456"]
