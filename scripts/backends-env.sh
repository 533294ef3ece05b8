#!/usr/bin/env bash
# The tracking-server stand-ins the backend tests start (tests/backends/conftest.py), installed when missing:
# PostgreSQL and MariaDB from Debian (apt, as root), Azurite (Azure Blob) from npm into .tools.
# moto_server (S3), gcp-storage-emulator (GCS) and the database drivers come with the dev extras
# (pyproject.toml). Quick when all is there.
# Not root and something missing: it says what, and the backend tests skip locally (they fail in CI, where
# .ci/run sets MLFLOW_CI_REQUIRE_BACKENDS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
AZURITE_VERSION=3.37.0  # runs on Node 20 (engines say >=22; verified here); 3.35.0 is the last to say >=10

apt_packages=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || apt_packages+=(postgresql)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || apt_packages+=(mariadb-server)
command -v npm >/dev/null || apt_packages+=(nodejs npm)
as_root=()
[ "$(id -u)" = 0 ] || as_root=(sudo -n)  # a GitHub-hosted runner: passwordless sudo
if [ "${#apt_packages[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null && "${as_root[@]}" true 2>/dev/null; then
    echo "backends-env: apt-get install ${apt_packages[*]}" >&2
    "${as_root[@]}" apt-get update -qq
    # policy-rc.d may refuse to start the services: the tests start their own servers, so that is fine.
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  else
    echo "backends-env: missing ${apt_packages[*]} (install them as root); the backend tests will skip" >&2
  fi
fi

azurite=".tools/node_modules/.bin/azurite-blob"
if [ ! -x "$azurite" ] && command -v npm >/dev/null; then
  echo "backends-env: npm install azurite@$AZURITE_VERSION into .tools" >&2
  npm install --silent --no-audit --no-fund --save-exact --prefix .tools "azurite@$AZURITE_VERSION" >/dev/null
fi
