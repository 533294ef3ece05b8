"""`dvc-commit-lock`: commit a changed dvc.lock back to the default branch, on pushes there only.

No loop of workflow runs: a push made with the workflow's GITHUB_TOKEN starts no workflow run (GitHub's
rule), the message carries `[skip ci]` for a personal token or app token, and the README suggests
`paths-ignore: [dvc.lock]`. The token goes to git as an HTTP header through GIT_CONFIG_* variables, as
actions/checkout does, so it is never in a command line, a URL or .git/config.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

from mlflow_ci import proc
from mlflow_ci.errors import LockCommitFailed
from mlflow_ci.github.context import Context

BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"
GIT_TIMEOUT = 300


def _git_env(environ: Mapping[str, str], ctx: Context, token: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "NO_PROXY")
    keep += ("SSH_AUTH_SOCK", "GIT_SSH_COMMAND")  # an origin over SSH (a deploy key) still pushes
    env = {name: environ[name] for name in keep if name in environ}
    env["GIT_TERMINAL_PROMPT"] = "0"
    if token:
        header = "AUTHORIZATION: basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
        key = f"http.{ctx.server_url.rstrip('/')}/.extraheader"
        # The empty value first clears the header actions/checkout left in .git/config: two would be refused.
        env.update(GIT_CONFIG_COUNT="2", GIT_CONFIG_KEY_0=key, GIT_CONFIG_VALUE_0="")
        env.update(GIT_CONFIG_KEY_1=key, GIT_CONFIG_VALUE_1=header)
    return env


def _git(args: list[str], workspace: Path, env: Mapping[str, str]) -> proc.Finished:
    git = proc.which("git", env)
    if not git:
        raise LockCommitFailed("git is not on PATH: install git, or set dvc-commit-lock: false")
    return proc.run(
        [git, *args], cwd=workspace, env=env, timeout=GIT_TIMEOUT, what=f"git {args[0]}", error=LockCommitFailed
    )


def commit_lock(ctx: Context, workspace: Path, token: str, environ: Mapping[str, str]) -> str:
    """Commit and push dvc.lock when it changed; returns what happened, for the log."""
    if not ctx.is_default_branch_push:
        return f"dvc-commit-lock: dvc.lock is committed on pushes to {ctx.default_branch} only, not on {ctx.where}"
    if not (workspace / "dvc.lock").is_file():
        return "dvc-commit-lock: there is no dvc.lock to commit"
    env = _git_env(environ, ctx, token)
    status = _git(["status", "--porcelain", "--", "dvc.lock"], workspace, env)
    if status.code != 0:
        raise LockCommitFailed(f"{workspace} is not a git checkout ({status.said(4)}): check out the repository first")
    if not status.stdout.strip():
        return "dvc-commit-lock: dvc.lock is unchanged, nothing to commit"
    message = "Update dvc.lock [skip ci]"
    if ctx.run_url:
        message += f"\n\nReproduced by {ctx.run_url}"
    identity = ["-c", f"user.name={BOT_NAME}", "-c", f"user.email={BOT_EMAIL}", "-c", "commit.gpgsign=false"]
    steps = {"add": ["add", "--", "dvc.lock"], "commit": [*identity, "commit", "-q", "-m", message, "--", "dvc.lock"]}
    for name, args in steps.items():
        done = _git(args, workspace, env)
        if done.code != 0:
            raise LockCommitFailed(f"git {name} failed: {done.said(4)}")
    branch = ctx.default_branch
    pushed = _git(["push", "origin", f"HEAD:refs/heads/{branch}"], workspace, env)
    if pushed.code != 0:
        raise LockCommitFailed(
            f"could not push dvc.lock to {branch}: {pushed.said(4)}: give the job `permissions: contents: write`, "
            "and let one run at a time push (a `concurrency:` group) so the branch has not moved meanwhile"
        )
    sha = _git(["rev-parse", "--short", "HEAD"], workspace, env).stdout.strip()
    return f"dvc-commit-lock: committed dvc.lock as {sha} and pushed it to {branch}"
