"""The pull request comment: one per workflow, job and experiment, updated in place on later pushes.

Found by a hidden marker among all pages of the PR's comments, and only among those written by the token's
own user (the bot), so a comment someone else wrote, quoting the marker or not, is never touched. Problems
(no permission, a fork's read-only token, GitHub down) come back as an Outcome to report, never as an error:
the comment is an extra and must not fail the job.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlflow_ci import __version__
from mlflow_ci.github.context import Context

if TYPE_CHECKING:
    from github import Github

MAX_BODY = 65_536  # GitHub refuses longer comment bodies ("Body is too long")
PER_PAGE = 100  # GitHub's maximum page size: fewer requests on long pull requests
# A step makes at most a handful of requests (who am I, the comment pages, one write): PyGithub's pauses
# between requests (0.25 s, and 1 s between writes) protect bulk clients and here only add latency. Rate
# limits are still honoured by its retry, capped so a CI step never sleeps for long.
TIMEOUT_SECONDS = 10
RETRIES = 2
MAX_RATE_LIMIT_WAIT = 30.0


@dataclass(frozen=True)
class Plan:
    post: bool
    reason: str = ""  # why not, when post is False ("" when there is nothing worth saying)
    notice: bool = False  # say it as a ::notice:: (the user asked for a comment) rather than a log line


@dataclass(frozen=True)
class Outcome:
    url: str = ""
    action: str = ""  # "created" or "updated"
    problem: str = ""
    notice: bool = True  # a problem as a ::notice:: (permissions: expected) rather than a ::warning::


def plan(mode: str, token: str, ctx: Context) -> Plan:
    """Whether this step comments: `comment` is auto, true or false."""
    if mode == "false":
        return Plan(False)
    asked = mode == "true"
    if not ctx.is_pull_request:
        reason = f"comment: true, but this run is for {ctx.where}, not a pull request: no comment to write"
        return Plan(False, reason if asked else "", notice=asked)
    if not token:
        return Plan(False, "no github-token: no pull request comment (the report is in the step summary)", asked)
    if not ctx.repository:
        return Plan(False, "GITHUB_REPOSITORY is unset: no pull request to comment on", notice=True)
    if mode == "auto" and ctx.is_fork and ctx.event_name == "pull_request":
        return Plan(
            False,
            "pull request from a fork: its workflow token is read-only, so the report is in the step summary "
            "only (comment: true tries anyway)",
            notice=True,
        )
    return Plan(True)


def marker(workflow: str, job: str, experiment: str) -> str:
    """The hidden line that names this comment: a digest, so no name can end the HTML comment early."""
    digest = hashlib.sha256(json.dumps([workflow, job, experiment]).encode()).hexdigest()[:16]
    return f"<!-- mlflow-ci-report {digest} -->"


def body(report: str, ctx: Context, experiment: str) -> str:
    run = f"[workflow run {ctx.run_id}]({ctx.run_url})" if ctx.run_url else "the workflow run"
    commit = f", commit {ctx.head_sha[:7]}" if ctx.head_sha else ""
    footer = (
        f"<sub>Updated in place by each run of workflow `{ctx.workflow}`, job `{ctx.job}`; latest: {run}{commit}.</sub>"
    )
    return f"{marker(ctx.workflow, ctx.job, experiment)}\n{report.rstrip()}\n\n{footer}\n"


def fit(text: str, full_report_url: str, limit: int = MAX_BODY) -> str:
    """The body cut at a line, code fences closed, with a link to the full report, if it is over the limit."""
    if len(text) <= limit:
        return text
    where = f"[the workflow run's summary]({full_report_url})" if full_report_url else "the workflow run's summary"
    tail = f"\n\n**Cut to fit GitHub's {limit:,}-character limit: the full report is in {where}.**\n"
    fence = "\n```"
    kept = text[: limit - len(tail) - len(fence)]
    kept = kept[: kept.rfind("\n")] if "\n" in kept else kept
    if sum(1 for line in kept.splitlines() if line.lstrip().startswith("```")) % 2:
        kept += fence
    return kept + tail


def _client(api_url: str, token: str) -> Github:
    from github import Auth, Github, GithubRetry  # imported here so the CLI starts fast

    return Github(
        auth=Auth.Token(token),
        base_url=api_url,
        per_page=PER_PAGE,
        timeout=TIMEOUT_SECONDS,
        retry=GithubRetry(total=RETRIES, max_rate_limit_wait=MAX_RATE_LIMIT_WAIT),
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
        user_agent=f"mlflow-ci-action/{__version__}",
    )


def viewer_login(client: Github) -> str:
    """The token's own login. GraphQL's viewer works for every kind of token; REST's GET /user refuses the
    workflow's GITHUB_TOKEN (an app installation token)."""
    _, data = client.requester.graphql_query("query { viewer { login } }", {})
    login = ((data.get("data") or {}).get("viewer") or {}).get("login")
    if not isinstance(login, str) or not login:
        raise ValueError("GitHub's GraphQL API did not say who the token belongs to")
    return login


def _same_user(author: str, viewer: str) -> bool:
    # REST names an app's bot "name[bot]"; GraphQL's viewer may or may not carry the suffix.
    return author == viewer or (not viewer.endswith("[bot]") and author == f"{viewer}[bot]")


def upsert(api_url: str, token: str, repository: str, number: int, mark: str, text: str) -> tuple[str, str]:
    """Edit this step's comment in place, or create it; return its URL and what was done. Raises PyGithub's
    and requests' errors."""
    client = _client(api_url, token)
    try:
        login = viewer_login(client)
        issue = client.get_repo(repository).get_issue(number)
        for existing in issue.get_comments():  # a PaginatedList: follows the Link headers over all pages
            author = existing.user.login if existing.user is not None else ""  # null for some deleted accounts
            if mark in (existing.body or "") and _same_user(author, login):
                existing.edit(text)
                return existing.html_url, "updated"
        created = issue.create_comment(text)
        return created.html_url, "created"
    finally:
        client.close()


def post(report: str, ctx: Context, experiment: str, token: str) -> Outcome:
    """Write or update the comment on ctx's pull request; every failure becomes an Outcome with a problem."""
    from github import GithubException

    if ctx.pr_number is None:
        return Outcome(problem="no pull request comment: the event names no pull request")
    text = fit(body(report, ctx, experiment), ctx.run_url)
    try:
        url, action = upsert(
            ctx.api_url, token, ctx.repository, ctx.pr_number, marker(ctx.workflow, ctx.job, experiment), text
        )
    except GithubException as exc:
        message = exc.data.get("message", "") if isinstance(exc.data, dict) else ""
        answer = f"GitHub answered {exc.status}{f' ({message})' if message else ''}"
        if exc.status == 401:
            return Outcome(problem=f"no pull request comment: {answer}: check github-token (expired or revoked?)")
        if exc.status in (403, 404):
            return Outcome(
                problem=f"no pull request comment: {answer}. Give the job `permissions: pull-requests: write` "
                "and a github-token allowed to use it; pull requests from forks get a read-only token, so "
                "their report is in the step summary only"
            )
        return Outcome(problem=f"no pull request comment: {answer}", notice=False)
    except ValueError as exc:
        return Outcome(problem=f"no pull request comment: {exc}", notice=False)
    except OSError as exc:  # requests' connection errors and timeouts
        return Outcome(
            problem=f"no pull request comment: cannot reach the GitHub API at {ctx.api_url} ({type(exc).__name__})",
            notice=False,
        )
    except Exception as exc:  # the comment is an extra: even a surprise here must not fail the job
        return Outcome(problem=f"no pull request comment: {type(exc).__name__}: {exc}", notice=False)
    return Outcome(url=url, action=action)
