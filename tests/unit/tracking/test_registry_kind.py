"""Which registry a step talks to, decided once from its URI, and what that allows."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException, RestException

from mlflow_ci.errors import InputError, ServerError
from mlflow_ci.tracking import registry_kind
from mlflow_ci.tracking.registry_kind import RegistryKind, check_model_name, check_promotion, resolve


@pytest.mark.parametrize(
    "registry_uri,tracking_uri,environ,uri,kind",
    [
        ("", "http://127.0.0.1:5000", {}, "http://127.0.0.1:5000", RegistryKind.MLFLOW),
        ("", "databricks", {}, "databricks-uc", RegistryKind.UNITY_CATALOG),  # MLflow 3's default
        ("", "databricks://prod", {}, "databricks-uc://prod", RegistryKind.UNITY_CATALOG),  # the profile is kept
        ("", "databricks", {"MLFLOW_REGISTRY_URI": "databricks"}, "databricks", RegistryKind.WORKSPACE),
        (
            "databricks-uc",
            "databricks",
            {"MLFLOW_REGISTRY_URI": "databricks"},
            "databricks-uc",
            RegistryKind.UNITY_CATALOG,
        ),
        (
            "uc:http://127.0.0.1:8080",
            "http://127.0.0.1:5000",
            {},
            "uc:http://127.0.0.1:8080",
            RegistryKind.UNITY_CATALOG,
        ),
        ("", "sqlite:///mlflow.db", {}, "sqlite:///mlflow.db", RegistryKind.MLFLOW),
    ],
)
def test_the_registry_is_the_input_then_the_variable_then_mlflows_default(
    registry_uri, tracking_uri, environ, uri, kind
):
    registry = resolve(registry_uri, tracking_uri, environ)
    assert (registry.uri, registry.kind) == (uri, kind)


def test_what_each_registry_can_move():
    moves = {
        kind: (resolve(uri, "", {}).has_aliases, resolve(uri, "", {}).has_stages)
        for uri, kind in [
            ("http://x", RegistryKind.MLFLOW),
            ("databricks-uc", RegistryKind.UNITY_CATALOG),
            ("databricks", RegistryKind.WORKSPACE),
        ]
    }
    assert moves == {
        RegistryKind.MLFLOW: (True, True),
        RegistryKind.UNITY_CATALOG: (True, False),
        RegistryKind.WORKSPACE: (False, True),
    }


@pytest.mark.parametrize("name", ["main.ml.news", "dev_catalog.team-a.model_v2"])
def test_unity_catalog_takes_three_level_names(name):
    check_model_name(resolve("databricks-uc", "", {}), name)


@pytest.mark.parametrize("name", ["News Model", "ml.news", "main.ml.news.v2", "main..news", "main.ml. news"])
def test_unity_catalog_refuses_other_names_as_bad_input(name):
    with pytest.raises(InputError) as raised:
        check_model_name(resolve("databricks-uc", "", {}), name)
    assert raised.value.input_name == "model-name" and "catalog.schema.model" in str(raised.value)
    check_model_name(resolve("databricks", "", {}), name)  # the workspace registry takes any name


def test_a_promotion_the_registry_cannot_make_is_bad_input():
    with pytest.raises(InputError, match="input 'alias' is champion, but the Databricks workspace model registry"):
        check_promotion(resolve("databricks", "", {}), alias="champion", stage="")
    check_promotion(resolve("databricks", "", {}), alias="production", stage="Production")  # alias skipped, stage set
    check_promotion(resolve("databricks-uc", "", {}), alias="production", stage="Production")  # stage skipped


def rest_error(code: str, message: str) -> RestException:
    return RestException({"error_code": code, "message": message})


@pytest.mark.parametrize(
    "error,missing_endpoint",
    [
        (rest_error("NOT_FOUND", "404 Not Found"), True),  # MLflow's server, for a path it does not serve
        (rest_error("ENDPOINT_NOT_FOUND", "No API found for 'GET /mlflow/unity-catalog/models'"), True),
        (rest_error("NOT_FOUND", "Registered model 'main.ml.news' does not exist."), False),
        (rest_error("RESOURCE_DOES_NOT_EXIST", "Registered Model with name=m not found"), False),
    ],
)
def test_a_404_for_a_missing_endpoint_is_told_from_a_missing_model(error, missing_endpoint):
    found = registry_kind.endpoint_missing(error)
    assert (found is not None) == missing_endpoint
    if found is not None:
        assert found.exit_code == 3 and "registry-uri" in str(found) and "Unity Catalog" in str(found)


@pytest.mark.parametrize(
    "uri,needed", [("databricks-uc", "ownership of the registered model"), ("databricks", "CAN MANAGE")]
)
def test_a_refused_promotion_names_the_privileges_it_needs(uri, needed):
    # A double for what only Databricks can answer: a principal without the privilege.
    with pytest.raises(ServerError) as raised, registry_kind.refusals(resolve(uri, "", {}), "main.ml.news"):
        raise rest_error("PERMISSION_DENIED", "User does not have MANAGE on Routine or Model 'main.ml.news'.")
    assert needed in str(raised.value) and "main.ml.news" in str(raised.value)


def test_other_refusals_and_errors_pass_through():
    with (
        pytest.raises(MlflowException, match="PERMISSION_DENIED"),
        registry_kind.refusals(resolve("http://x", "", {}), "m"),
    ):
        raise rest_error("PERMISSION_DENIED", "no")  # an MLflow server: the tracking client's message applies
    with (
        pytest.raises(MlflowException, match="INTERNAL_ERROR"),
        registry_kind.refusals(resolve("databricks-uc", "", {}), "m"),
    ):
        raise rest_error("INTERNAL_ERROR", "boom")
