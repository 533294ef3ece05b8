"""The Docker tests' fixtures: an engine (a skip that says why when none can be had) and the built image.

CI sets MLFLOW_CI_REQUIRE_DOCKER=1 (.ci/run): there a missing engine fails the tests instead of skipping
them. A failed image build is always a failure, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mlflow_ci import __version__
from tests.helpers.docker import BuiltImage, NoDockerEngine, build_image, offline_base_image, remove_image


@pytest.fixture(scope="session")
def docker_base_image() -> str:
    try:
        return offline_base_image()
    except NoDockerEngine as exc:
        reason = f"no Docker engine can be had here: {exc}"
        if os.environ.get("MLFLOW_CI_REQUIRE_DOCKER") == "1":
            pytest.fail(f"{reason} (MLFLOW_CI_REQUIRE_DOCKER=1, so this is a failure)", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def image(docker_base_image: str) -> Iterator[BuiltImage]:
    built = build_image(docker_base_image, __version__)
    yield built
    remove_image(built)
