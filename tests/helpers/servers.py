"""Starting and stopping the real servers the tests use: each binds 127.0.0.1 on a free port, writes its
output to a log file, and is waited for by polling until it answers (or exits, which fails with its log)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A server process started by a test fixture; `url` is where it answers."""

    name: str
    process: subprocess.Popen
    log: Path
    url: str = ""

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if ready():
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:g} s:\n{self.log_tail()}")

    def signal(self, number: int) -> None:
        """Signal the server's own process group (it was started as a session leader), so that the workers
        it spawned go with it."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, number)

    def stop(self) -> None:
        stop_all([self])


def stop_all(servers: Sequence[Server], timeout: float = 5) -> None:
    """SIGTERM every server first, then wait for them together; SIGKILL what is left after `timeout`."""
    running = [server for server in servers if server.process.poll() is None]
    for server in running:
        server.signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for server in running:
        try:
            server.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            server.signal(signal.SIGKILL)
            server.process.wait(timeout=10)


def launch(
    name: str, command: Sequence[str], log: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Server:
    with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    return Server(name, process, log)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status == 200


def mlflow_server(
    name: str, root: Path, backend_store_uri: str, artifact_args: Sequence[str], env: Mapping[str, str] | None = None
) -> Server:
    """`mlflow server` on 127.0.0.1 (1 worker), not yet waited for: start several, then wait for each."""
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        backend_store_uri,
        *artifact_args,
    ]
    # The job runner (MLflow 3's huey consumers: about 8 processes and 1.4 GB per server here) serves features
    # no test uses; six servers with it ran this 24 GiB machine out of memory.
    quiet = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", **(env or {})}
    server = launch(name, command, root / "server.log", quiet, cwd=root)
    server.url = f"http://127.0.0.1:{port}"
    return server


def wait_for_mlflow(server: Server, timeout: float = 180) -> Server:
    return server.wait_until(lambda: http_ok(f"{server.url}/health"), timeout)
