# The mlflow-ci image: the same CLI as the composite action, for docker/action.yml and other CI systems
# (`docker run IMAGE best-run --experiment-name ...`).
#
#   docker build -t mlflow-ci .
#   docker build --network host --build-arg BASE_IMAGE=local/python-base:bookworm -t mlflow-ci .   # offline
#
# BASE_IMAGE must be a Debian-like image with python3 >= 3.11 and its venv module. Both stages use it,
# because the venv's interpreter is a link to the base image's python3.
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PIP_ROOT_USER_ACTION=ignore
# Dependencies first, from the hash-pinned lock (scripts/lock.sh), so a source change does not reinstall
# them; --require-hashes refuses any file whose sha256 is not the lock's.
COPY requirements/runtime.txt /build/requirements/runtime.txt
RUN python3 -m venv /opt/mlflow-ci \
 && /opt/mlflow-ci/bin/python -m pip install --require-hashes -r /build/requirements/runtime.txt
COPY pyproject.toml README.md /build/
COPY src /build/src
# --no-deps: everything the package needs came from the lock above. pip, setuptools and wheel are
# install tools, not runtime, so they stay out of the final image.
RUN /opt/mlflow-ci/bin/python -m pip install --no-deps /build \
 && /opt/mlflow-ci/bin/python -m pip check \
 && /opt/mlflow-ci/bin/python -m pip uninstall --yes pip setuptools wheel \
 && /opt/mlflow-ci/bin/python -I -m mlflow_ci --version

FROM ${BASE_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/org/mlflow-ci-action
LABEL org.opencontainers.image.title="mlflow-ci" \
      org.opencontainers.image.description="CI for MLflow projects: find the best run by a metric, gate it, register and promote it on pushes to main." \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# GIT_PYTHON_REFRESH: MLflow imports GitPython, which refuses to load without a git binary (slim images
# have none); mlflow-ci never needs git in the image.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GIT_PYTHON_REFRESH=quiet
COPY --from=builder /opt/mlflow-ci /opt/mlflow-ci
# Absolute paths and -I: a Docker action starts in the user's checkout with the step's environment
# (PATH, PYTHONPATH, ...), and neither a user's PATH nor a directory named like a module there (an
# `mlflow/` folder) may change which code runs. -I also ignores PYTHON* variables, so -B and -u repeat
# the two above for this process. No USER and no WORKDIR: a Docker action runs as root in the
# runner's workspace.
ENTRYPOINT ["/opt/mlflow-ci/bin/python", "-I", "-B", "-u", "-m", "mlflow_ci"]
