"""A fault-injecting HTTP proxy in front of a real `mlflow server`, scripted per method and path.

Every fault is bounded: it fires a set number of times (or until the proxy stops), and a hang or a stall
never outlives the proxy, so a test cannot leave a thread behind. The proxy also keeps its own access log
(method, path, what it did), which tests read alongside the server's.

    with FaultProxy(server_url) as proxy:
        proxy.add(Fault("GET", "/api/2.0/mlflow/registered-models/get", "drop", times=1))
        ... point the CLI at proxy.url ...

Faults:
- ``drop``: close the connection without forwarding (the server never sees the request);
- ``drop_response``: forward, let the server act, then close without answering (a lost response);
- ``status``: answer ``status`` (500 by default) with an MLflow-style JSON error, without forwarding;
- ``stall``: wait ``seconds``, then forward;
- ``hang``: accept and never answer (until the proxy stops or ``seconds`` pass, then close);
- ``rewrite``: forward, then pass the JSON answer through ``rewrite`` (a registry state OSS MLflow cannot
  produce, such as a version that stays PENDING: the proxy is then a double, and says so).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
MAX_HANG = 120.0  # no fault outlives this, even if a test forgets to stop the proxy


@dataclass
class Fault:
    method: str  # "GET", "POST", ... or "*"
    path: str  # the request path without the query; a trailing "*" matches a prefix
    action: str  # drop | drop_response | status | stall | hang | rewrite
    times: int = 1  # how many matching requests it affects; 0: every one until removed
    seconds: float = 0.0  # stall: the delay; hang: the bound (default MAX_HANG)
    status: int = 500
    skip: int = 0  # let this many matching requests through first
    rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    fired: int = 0
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method not in ("*", method):
            return False
        return path.startswith(self.path[:-1]) if self.path.endswith("*") else path == self.path

    @property
    def spent(self) -> bool:
        return self.times > 0 and self.fired >= self.times


@dataclass(frozen=True)
class Entry:
    method: str
    path: str
    query: str
    action: str  # "forward" or the fault's action
    status: int  # what the client got (0: nothing)
    at: float = field(default_factory=time.monotonic)


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.log: list[Entry] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy._handle(self)

            do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    # -- scripting -------------------------------------------------------------------------------------
    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def requests(self, method: str = "*", path: str = "") -> list[Entry]:
        with self._lock:
            return [e for e in self.log if method in ("*", e.method) and (not path or e.path == path)]

    # -- lifecycle -------------------------------------------------------------------------------------
    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    # -- the work --------------------------------------------------------------------------------------
    def _pick(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.spent or not fault.matches(method, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                fault.fired += 1
                return fault
        return None

    def _record(self, method: str, path: str, query: str, action: str, status: int) -> None:
        with self._lock:
            self.log.append(Entry(method, path, query, action, status))

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        method = handler.command
        path, _, query = handler.path.partition("?")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        fault = self._pick(method, path)
        action = fault.action if fault else "forward"
        if action == "drop":
            self._record(method, path, query, action, 0)
            handler.close_connection = True
            return
        if action == "hang":
            self._record(method, path, query, action, 0)
            self._stopping.wait(fault.seconds or MAX_HANG)
            handler.close_connection = True
            return
        if action == "status":
            payload = json.dumps({"error_code": "INTERNAL_ERROR", "message": "injected by the fault proxy"})
            self._record(method, path, query, action, fault.status)
            self._reply(handler, fault.status, {"Content-Type": "application/json"}, payload.encode())
            return
        if action == "stall":
            self._stopping.wait(min(fault.seconds, MAX_HANG))
        status, headers, answer = self._forward(method, handler.path, handler.headers, body)
        if action == "drop_response":
            self._record(method, path, query, action, 0)
            handler.close_connection = True
            return
        if action == "rewrite" and fault.rewrite is not None and answer:
            answer = json.dumps(fault.rewrite(json.loads(answer))).encode()
        self._record(method, path, query, action, status)
        self._reply(handler, status, headers, answer)

    def _forward(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=MAX_HANG)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(method, target, body=body or None, headers=sent)
            response = connection.getresponse()
            answer = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length"}}
            return response.status, kept, answer
        finally:
            connection.close()

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)
