"""A DOUBLE of the GitHub API, served on 127.0.0.1: the real api.github.com cannot be reached from these tests.

It answers the requests PyGithub makes for a pull request comment, the way GitHub documents and answers them:
- POST <root>/graphql `{ viewer { login } }`: who the token belongs to;
- GET <api>/repos/{owner}/{repo}/issues/{n}/comments: oldest first, `per_page` (default 30, at most 100)
  and `page`, with a `Link` header (rel next/last/first/prev) naming the other pages;
- POST the same URL to create a comment, PATCH <api>/repos/{owner}/{repo}/issues/comments/{id} to edit one;
- 401 "Bad credentials" for an unknown token, 403 "Resource not accessible by integration" for writes with a
  read-only token (a fork's pull request, or a job without `pull-requests: write`), 422 for a body over
  65,536 characters.

The API root has GitHub Enterprise Server's shape (`/api/v3`, GraphQL at `/api/graphql`) so that tests also
show PyGithub finding both from GITHUB_API_URL alone. Requests are logged without their tokens.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 65_536
DEFAULT_PER_PAGE, MAX_PER_PAGE = 30, 100
API_PREFIX, GRAPHQL_PATH = "/api/v3", "/api/graphql"
_COMMENTS = re.compile(rf"^{API_PREFIX}/repos/([^/]+/[^/]+)/issues/(\d+)/comments$")
_COMMENT = re.compile(rf"^{API_PREFIX}/repos/([^/]+/[^/]+)/issues/comments/(\d+)$")


@dataclass
class Logged:
    method: str
    path: str
    query: dict[str, list[str]]
    login: str  # whose token it was ('' when unknown or absent)


@dataclass
class State:
    tokens: dict[str, str] = field(default_factory=dict)  # token -> login
    read_only: set[str] = field(default_factory=set)  # tokens that may read but not write
    comments: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    next_id: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitHubApiDouble:
    """Start with `with GitHubApiDouble() as api:`; point GITHUB_API_URL at `api.url`."""

    def __init__(self) -> None:
        self.state = State()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        """The value for GITHUB_API_URL."""
        return self.origin + API_PREFIX

    def __enter__(self) -> GitHubApiDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_token(self, token: str, login: str, read_only: bool = False) -> None:
        self.state.tokens[token] = login
        if read_only:
            self.state.read_only.add(token)

    def add_comment(self, repo: str, number: int, login: str | None, body: str) -> dict[str, Any]:
        """A comment by `login`; None gives `"user": null`, as for some deleted accounts."""
        with self.state.lock:
            return _create(self.state, self.origin, repo, number, login, body)

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        return [dict(c) for c in self.state.comments.get((repo, number), [])]

    def requests(self, method: str = "", path_part: str = "") -> list[Logged]:
        return [r for r in self.state.log if (not method or r.method == method) and path_part in r.path]


def _create(state: State, origin: str, repo: str, number: int, login: str | None, body: str) -> dict[str, Any]:
    state.next_id += 1
    cid = state.next_id
    now = _now()
    comment = {
        "id": cid,
        "node_id": f"IC_{cid}",
        "url": f"{origin}{API_PREFIX}/repos/{repo}/issues/comments/{cid}",
        "html_url": f"https://github.com/{repo}/pull/{number}#issuecomment-{cid}",
        "issue_url": f"{origin}{API_PREFIX}/repos/{repo}/issues/{number}",
        "body": body,
        "user": None
        if login is None
        else {"login": login, "id": abs(hash(login)) % 10**8, "type": "Bot" if login.endswith("[bot]") else "User"},
        "created_at": now,
        "updated_at": now,
        "author_association": "NONE",
    }
    state.comments.setdefault((repo, number), []).append(comment)
    return comment


def _handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _token(self) -> str:
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            return token if scheme.lower() in ("token", "bearer") else ""

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, **extra: Any) -> None:
            docs = "https://docs.github.com/rest"
            self._send(status, {"message": message, "documentation_url": docs, "status": str(status), **extra})

        def _json_body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"{}")

        def _dispatch(self, method: str) -> None:
            parts = urlsplit(self.path)
            token = self._token()
            login = state.tokens.get(token, "")
            with state.lock:
                state.log.append(Logged(method, parts.path, parse_qs(parts.query), login))
            if not login:
                return self._error(401, "Bad credentials")
            if method == "POST" and parts.path == GRAPHQL_PATH:
                query = self._json_body().get("query", "")
                if "viewer" not in query:
                    return self._send(200, {"errors": [{"message": "this double answers only viewer { login }"}]})
                return self._send(200, {"data": {"viewer": {"login": login}}})
            writes = method in ("POST", "PATCH")
            if writes and token in state.read_only:
                return self._error(403, "Resource not accessible by integration")
            if (match := _COMMENTS.match(parts.path)) and method == "GET":
                return self._list(match.group(1), int(match.group(2)), parse_qs(parts.query))
            if (match := _COMMENTS.match(parts.path)) and method == "POST":
                body = self._json_body().get("body", "")
                if len(body) > MAX_BODY:
                    return self._too_long()
                with state.lock:
                    created = _create(state, self._origin(), match.group(1), int(match.group(2)), login, body)
                return self._send(201, created)
            if (match := _COMMENT.match(parts.path)) and method == "PATCH":
                body = self._json_body().get("body", "")
                if len(body) > MAX_BODY:
                    return self._too_long()
                with state.lock:
                    found = next(
                        (c for cs in state.comments.values() for c in cs if c["id"] == int(match.group(2))), None
                    )
                    if found is None:
                        return self._error(404, "Not Found")
                    found.update(body=body, updated_at=_now())
                    return self._send(200, dict(found))
            return self._error(404, "Not Found")

        def _origin(self) -> str:
            return f"http://{self.headers.get('Host')}"

        def _too_long(self) -> None:
            self._error(
                422,
                "Validation Failed",
                errors=[{"resource": "IssueComment", "code": "custom", "field": "body", "message": "body is too long"}],
            )

        def _list(self, repo: str, number: int, query: dict[str, list[str]]) -> None:
            per_page = min(int(query.get("per_page", [DEFAULT_PER_PAGE])[0]), MAX_PER_PAGE)
            page = max(int(query.get("page", ["1"])[0]), 1)
            with state.lock:
                comments = [dict(c) for c in state.comments.get((repo, number), [])]
            last = max((len(comments) + per_page - 1) // per_page, 1)
            link = f"{self._origin()}{API_PREFIX}/repos/{repo}/issues/{number}/comments?per_page={per_page}&page="
            rels = []
            if page < last:
                rels += [f'<{link}{page + 1}>; rel="next"', f'<{link}{last}>; rel="last"']
            if page > 1:
                rels += [f'<{link}1>; rel="first"', f'<{link}{page - 1}>; rel="prev"']
            headers = {"Link": ", ".join(rels)} if rels else {}
            self._send(200, comments[(page - 1) * per_page : page * per_page], headers)

        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PATCH(self) -> None:
            self._dispatch("PATCH")

    return Handler
