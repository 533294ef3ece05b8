"""Real stand-ins for production tracking deployments, each started once per session on 127.0.0.1:

- PostgreSQL (Debian's server; `initdb` as the `postgres` user when run as root) and MariaDB as backend stores,
- moto_server as S3, Azurite as Azure Blob and gcp-storage-emulator as Google Cloud Storage, as artifact
  stores,
- `mlflow server`s over them, proxying artifacts (`--artifacts-destination`) or not (`--default-artifact-root`,
  the client writes to the store itself), started side by side and then waited for,
- an OSS `mlflow server` shaped like Databricks: clients use `tracking-uri: databricks` with DATABRICKS_HOST.

`scripts/backends-env.sh` (run by scripts/dev-env.sh) installs what is missing. A missing server skips the
tests with the reason; CI sets MLFLOW_CI_REQUIRE_BACKENDS=1 (.ci/run), and there it is a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers.servers import Server, free_port, launch, mlflow_server, port_open, stop_all, wait_for_mlflow

BUCKET = "mlflow"
CONTAINER = "mlflow"
# Azurite's documented development account; its key is public, the same in every Azurite.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DB_USER, DB_PASSWORD = "mlflow", "db-pass-7f3a"  # the tests check this never shows in a log
DATABRICKS_TOKEN = "dapi-stand-in-token-5c1e"


def missing(what: str) -> None:
    """Skip (locally) or fail (in CI) because a backend cannot be had."""
    reason = f"{what} (scripts/backends-env.sh installs it)"
    if os.environ.get("MLFLOW_CI_REQUIRE_BACKENDS") == "1":
        pytest.fail(f"{reason}; MLFLOW_CI_REQUIRE_BACKENDS=1, so this is a failure", pytrace=False)
    pytest.skip(reason)


def _scratch(prefix: str, owner: str | None) -> Path:
    """A directory outside pytest's (root-only) tmp tree, owned by `owner` when running as root."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    if owner and os.geteuid() == 0:
        shutil.chown(path, owner, owner)
    return path


def _as(user: str | None, command: list[str]) -> list[str]:
    """Run as `user` when we are root (PostgreSQL and MariaDB refuse to run as root)."""
    if user and os.geteuid() == 0:
        return ["runuser", "-u", user, "--", *command]
    return command


# --- PostgreSQL ---------------------------------------------------------------------------------------------


@dataclass
class Postgres:
    port: int
    socket_dir: Path
    databases: list[str] = field(default_factory=list)

    def admin(self, sql: str) -> None:
        """One statement as the superuser, over the Unix socket (trusted), outside a transaction."""
        import psycopg2

        conn = psycopg2.connect(host=str(self.socket_dir), port=self.port, user="postgres", dbname="postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(sql)
        finally:
            conn.close()

    def create_database(self, name: str) -> str:
        """A fresh database owned by the mlflow role; returns its SQLAlchemy URI (psycopg2 driver)."""
        self.admin(f'CREATE DATABASE "{name}" OWNER {DB_USER}')
        self.databases.append(name)
        return f"postgresql+psycopg2://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{self.port}/{name}"


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    bindir = _postgres_bin()
    if bindir is None:
        missing("PostgreSQL is not installed (Debian: postgresql)")
    user = "postgres" if os.geteuid() == 0 else None
    if user:
        try:
            pwd.getpwnam(user)
        except KeyError:
            missing("running as root, but there is no postgres user to run PostgreSQL as")
    root = _scratch("mlflow-ci-pg-", user)
    data, port = root / "data", free_port()
    # Local (socket) connections are trusted, for the fixture's admin work; TCP needs the role's password.
    subprocess.run(
        _as(
            user,
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
            ],
        ),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(
        _as(
            user,
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "pg.log"),
                "-w",
                "-t",
                "120",
                "start",
            ],
        ),
        check=True,
        capture_output=True,
    )
    server = Postgres(port, root)
    try:
        server.admin(f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{DB_PASSWORD}'")
        yield server
    finally:
        subprocess.run(
            _as(user, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), capture_output=True
        )
        shutil.rmtree(root, ignore_errors=True)


# --- MariaDB ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mariadb() -> Iterator[str]:
    """A MariaDB server with one database for MLflow; yields its SQLAlchemy URI (PyMySQL driver)."""
    daemon = shutil.which("mariadbd") or ("/usr/sbin/mariadbd" if Path("/usr/sbin/mariadbd").exists() else None)
    install_db = shutil.which("mariadb-install-db")
    if daemon is None or install_db is None:
        missing("MariaDB is not installed (Debian: mariadb-server)")
    user = "mysql" if os.geteuid() == 0 else None
    root = _scratch("mlflow-ci-mariadb-", user)
    data, sock, port = root / "data", root / "mariadb.sock", free_port()
    user_args = [f"--user={user}"] if user else []
    subprocess.run(
        [
            install_db,
            "--no-defaults",
            f"--datadir={data}",
            *user_args,
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
    )
    server = launch(
        "mariadb",
        [
            daemon,
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={sock}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            f"--pid-file={root / 'mariadb.pid'}",
            "--innodb-flush-log-at-trx-commit=0",
            *user_args,
        ],
        root / "mariadb.log",
    )
    try:
        server.wait_until(lambda: sock.exists() and port_open(port), 120)
        import pymysql

        conn = pymysql.connect(unix_socket=str(sock), user="root")
        with conn.cursor() as cursor:
            cursor.execute("CREATE DATABASE mlflow")
            cursor.execute(f"CREATE USER '{DB_USER}'@'%' IDENTIFIED BY '{DB_PASSWORD}'")
            cursor.execute(f"GRANT ALL ON mlflow.* TO '{DB_USER}'@'%'")
        conn.close()
        yield f"mysql+pymysql://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{port}/mlflow"
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- S3 (moto_server), Azure Blob (Azurite) and GCS (gcp-storage-emulator) -----------------------------------


@dataclass(frozen=True)
class S3:
    endpoint: str
    env: dict[str, str]  # what a client needs to write to it directly

    def names(self, prefix: str) -> list[str]:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
            region_name=self.env["AWS_DEFAULT_REGION"],
        )
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]


def dev_binary(name: str, install: str) -> str:
    """A command the dev extras install next to this Python (or on PATH); missing: skip, or fail in CI."""
    binary = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(binary).exists():
        missing(f"{name} is not installed (PyPI: {install}, in the dev extras)")
    return binary


@contextmanager
def store_server(name: str, command: Callable[[int, Path], list[str]]) -> Iterator[int]:
    """A store stand-in started on a free port of 127.0.0.1 with a scratch folder (`command(port, folder)`),
    waited for, then stopped and its folder removed: yields the port."""
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix=f"mlflow-ci-{name}-"))
    server = launch(name, command(port, root), root / f"{name}.log")
    try:
        server.wait_until(lambda: port_open(port), 60)
        yield port
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def s3() -> Iterator[S3]:
    binary = dev_binary("moto_server", "moto[server]")
    with store_server("moto_server", lambda port, _: [binary, "-H", "127.0.0.1", "-p", str(port)]) as port:
        env = {
            "AWS_ACCESS_KEY_ID": "testing-key-id",
            "AWS_SECRET_ACCESS_KEY": "testing-secret-9b2d",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MLFLOW_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        }
        store = S3(env["MLFLOW_S3_ENDPOINT_URL"], env)
        import boto3

        boto3.client(
            "s3",
            endpoint_url=store.endpoint,
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        ).create_bucket(Bucket=BUCKET)
        yield store


@dataclass(frozen=True)
class AzureBlob:
    connection_string: str
    env: dict[str, str]

    def names(self, prefix: str) -> list[str]:
        from azure.storage.blob import BlobServiceClient

        container = BlobServiceClient.from_connection_string(self.connection_string).get_container_client(CONTAINER)
        return [blob.name for blob in container.list_blobs(name_starts_with=prefix)]


def azurite_binary() -> str | None:
    local = ROOT / ".tools" / "node_modules" / ".bin" / "azurite-blob"
    return str(local) if local.exists() else shutil.which("azurite-blob")


@pytest.fixture(scope="session")
def azure_blob() -> Iterator[AzureBlob]:
    binary = azurite_binary()
    if binary is None or shutil.which("node") is None:
        missing("Azurite is not installed (npm: azurite, with Node.js)")

    def command(port: int, root: Path) -> list[str]:
        return [binary, "--silent", "--location", str(root / "data"), "--blobHost", "127.0.0.1", "--blobPort",
                str(port), "--skipApiVersionCheck", "--loose"]  # fmt: skip

    with store_server("azurite-blob", command) as port:
        # With a connection string, MLflow takes the endpoint from it: a wasbs:// URI naming
        # devstoreaccount1.blob.core.windows.net then reaches 127.0.0.1.
        connection_string = (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
        )
        from azure.storage.blob import BlobServiceClient

        BlobServiceClient.from_connection_string(connection_string).create_container(CONTAINER)
        yield AzureBlob(connection_string, {"AZURE_STORAGE_CONNECTION_STRING": connection_string})


@dataclass(frozen=True)
class GCS:
    env: dict[str, str]  # google-cloud-storage's own convention: STORAGE_EMULATOR_HOST, anonymous credentials

    def names(self, prefix: str) -> list[str]:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        endpoint = {"api_endpoint": self.env["STORAGE_EMULATOR_HOST"]}
        client = storage.Client(project="<none>", credentials=AnonymousCredentials(), client_options=endpoint)
        return [blob.name for blob in client.bucket(BUCKET).list_blobs(prefix=prefix)]


@pytest.fixture(scope="session")
def gcs() -> Iterator[GCS]:
    binary = dev_binary("gcp-storage-emulator", "gcp-storage-emulator")

    def command(port: int, _: Path) -> list[str]:
        return [binary, "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory", "--default-bucket", BUCKET]

    with store_server("gcp-storage-emulator", command) as port:
        yield GCS({"STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}"})


# --- Tracking servers over them -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """One production-like tracking deployment: what the runner sets, and where artifacts must land."""

    name: str
    tracking_uri: str
    runner_env: dict[str, str]  # the step's env: beyond MLFLOW_TRACKING_URI (empty when the server proxies)
    store_prefix: str  # objects under this prefix in the store prove the artifacts went there
    store: S3 | AzureBlob | GCS

    def stored(self) -> list[str]:
        return self.store.names(self.store_prefix)


WASBS = f"wasbs://{CONTAINER}@{AZURITE_ACCOUNT}.blob.core.windows.net"
POSTGRES_DEPLOYMENTS = ("s3-proxied", "s3-direct", "azure-proxied", "azure-direct", "gcs-proxied", "gcs-direct")


@dataclass(frozen=True)
class DatabricksStandIn:
    """An OSS server reached the way a Databricks workspace is: `databricks` plus host and token."""

    host: str
    env: dict[str, str]


@dataclass(frozen=True)
class TrackingServers:
    postgres: dict[str, Deployment]
    mariadb: str
    databricks: DatabricksStandIn


@pytest.fixture(scope="session")
def tracking_servers(
    postgres: Postgres, s3: S3, azure_blob: AzureBlob, gcs: GCS, mariadb: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrackingServers]:
    """Every `mlflow server` the backend tests use, launched together and then waited for (a cold start is
    mostly imports, so they overlap): six on PostgreSQL (S3, Azure Blob and GCS, each proxied and direct), one
    on MariaDB, and the Databricks stand-in (sqlite).

    Proxied (`--artifacts-destination`): only the server holds the store's credentials. Direct
    (`--no-serve-artifacts --default-artifact-root`, seed 1's command line): every client writes to the store.
    """
    root = tmp_path_factory.mktemp("tracking-servers")
    direct = ["--no-serve-artifacts", "--default-artifact-root"]
    plans = {
        "s3-proxied": (s3, ["--artifacts-destination", f"s3://{BUCKET}/proxied"], "proxied/", {}),
        "s3-direct": (s3, [*direct, f"s3://{BUCKET}/direct"], "direct/", s3.env),
        "azure-proxied": (azure_blob, ["--artifacts-destination", f"{WASBS}/proxied"], "proxied/", {}),
        "azure-direct": (azure_blob, [*direct, f"{WASBS}/direct"], "direct/", azure_blob.env),
        "gcs-proxied": (gcs, ["--artifacts-destination", f"gs://{BUCKET}/proxied"], "proxied/", {}),
        "gcs-direct": (gcs, [*direct, f"gs://{BUCKET}/direct"], "direct/", gcs.env),
    }
    servers: list[Server] = []
    try:
        deployments = {}
        for name, (store, artifact_args, prefix, runner_env) in plans.items():
            backend = postgres.create_database(name.replace("-", "_"))
            servers.append(mlflow_server(name, root / name, backend, artifact_args, env=store.env))
            deployments[name] = Deployment(name, servers[-1].url, dict(runner_env), prefix, store)
        local = ["--artifacts-destination", str(root / "mariadb" / "artifacts")]
        servers.append(on_mariadb := mlflow_server("mlflow on mariadb", root / "mariadb", mariadb, local))
        # Clients read and write the artifacts themselves, as they do a workspace's dbfs:/ store (a proxied
        # mlflow-artifacts:/ location cannot be resolved through the `databricks` tracking URI).
        stand_in = ["--default-artifact-root", str(root / "databricks" / "artifacts"), "--no-serve-artifacts"]
        backend = f"sqlite:///{root / 'databricks' / 'mlflow.db'}"
        servers.append(workspace := mlflow_server("databricks stand-in", root / "databricks", backend, stand_in))
        for server in servers:
            wait_for_mlflow(server)
        yield TrackingServers(
            deployments,
            on_mariadb.url,
            DatabricksStandIn(workspace.url, {"DATABRICKS_HOST": workspace.url, "DATABRICKS_TOKEN": DATABRICKS_TOKEN}),
        )
    finally:
        stop_all(servers)


@pytest.fixture(scope="session")
def postgres_deployments(tracking_servers: TrackingServers) -> dict[str, Deployment]:
    return tracking_servers.postgres


@pytest.fixture(scope="session")
def mariadb_server(tracking_servers: TrackingServers) -> str:
    """An `mlflow server` on MariaDB, proxying artifacts to a local directory."""
    return tracking_servers.mariadb


@pytest.fixture(scope="session")
def databricks(tracking_servers: TrackingServers) -> DatabricksStandIn:
    return tracking_servers.databricks
