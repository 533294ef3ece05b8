"""When the step comments, the hidden marker, and bodies cut to GitHub's limit."""

from __future__ import annotations

import pytest

from mlflow_ci.github import comment
from mlflow_ci.github.context import Context, load_context
from tests.helpers import gh
from tests.helpers.markdown import mermaid_blocks, render


def pr(tmp_path, fork: bool = False, event_name: str = "pull_request") -> Context:
    step = gh.step_env(tmp_path, event_name, gh.pull_request_event(number=7, fork=fork))
    return load_context(step.environ)


def test_auto_comments_on_pull_requests_with_a_token(tmp_path):
    assert comment.plan("auto", "t", pr(tmp_path)) == comment.Plan(True)
    assert comment.plan("auto", "t", pr(tmp_path, event_name="pull_request_target")).post


def test_auto_is_silent_on_pushes_and_true_says_why(tmp_path):
    push = load_context(gh.step_env(tmp_path, "push", gh.push_event("main")).environ)
    assert comment.plan("auto", "t", push) == comment.Plan(False)
    asked = comment.plan("true", "t", push)
    assert not asked.post and asked.notice and "not a pull request" in asked.reason


def test_false_never_comments(tmp_path):
    assert comment.plan("false", "t", pr(tmp_path)) == comment.Plan(False)


def test_no_token(tmp_path):
    auto = comment.plan("auto", "", pr(tmp_path))
    assert not auto.post and not auto.notice and "no github-token" in auto.reason
    assert comment.plan("true", "", pr(tmp_path)).notice


def test_fork_pull_requests_skip_under_auto_and_try_under_true(tmp_path):
    fork = pr(tmp_path, fork=True)
    skipped = comment.plan("auto", "t", fork)
    assert not skipped.post and skipped.notice and "fork" in skipped.reason
    assert comment.plan("true", "t", fork).post
    # pull_request_target runs in the base repository with a token that can write.
    assert comment.plan("auto", "t", pr(tmp_path, fork=True, event_name="pull_request_target")).post


def test_marker_is_per_workflow_job_and_experiment_and_safe_in_html():
    base = comment.marker("ml", "train", "news")
    assert base == comment.marker("ml", "train", "news")
    others = {
        comment.marker("ml2", "train", "news"),
        comment.marker("ml", "eval", "news"),
        comment.marker("ml", "train", "x"),
    }
    assert base not in others and len(others) == 3
    # Names that would end an HTML comment or split the key differently still give one well-formed marker.
    tricky = comment.marker("a --> b", "c", "d")
    assert tricky.startswith("<!-- mlflow-ci-report ") and tricky.count("-->") == 1
    assert comment.marker("a", "b:c", "d") != comment.marker("a:b", "c", "d")


def test_the_marker_is_hidden_when_rendered(tmp_path):
    ctx = pr(tmp_path)
    text = comment.body("### report\n\nbody text\n", ctx, "news")
    assert text.startswith(comment.marker("ml", "train", "news") + "\n")
    rendered = render(text)
    visible = rendered.replace(comment.marker("ml", "train", "news"), "")
    assert "mlflow-ci-report" not in visible and "body text" in visible
    assert f"[workflow run 4242]({ctx.run_url})" in text and "commit 1111111" in text


def test_short_bodies_are_left_alone():
    assert comment.fit("x" * 100, "https://run") == "x" * 100
    assert comment.fit("x" * comment.MAX_BODY, "https://run") == "x" * comment.MAX_BODY


def test_long_bodies_are_cut_at_a_line_with_a_link_to_the_full_summary():
    mark = comment.marker("ml", "train", "news")
    text = mark + "\n" + "".join(f"| row {i} | {'v' * 50} |\n" for i in range(3000))
    assert len(text) > comment.MAX_BODY
    cut = comment.fit(text, "https://github.com/o/r/actions/runs/1")
    assert len(cut) <= comment.MAX_BODY and cut.startswith(mark)
    assert cut.endswith(
        "**Cut to fit GitHub's 65,536-character limit: the full report is in "
        "[the workflow run's summary](https://github.com/o/r/actions/runs/1).**\n"
    )
    kept = cut.split("\n\n**Cut")[0]
    assert all(line.startswith("| row ") and line.endswith(" |") for line in kept.splitlines()[1:])


def test_a_cut_inside_a_code_block_closes_it():
    chart = "```mermaid\nxychart-beta\n" + "".join(f"  bar [{i}]\n" for i in range(20000)) + "```\n"
    cut = comment.fit("intro\n" + chart + "after\n", "")
    assert len(cut) <= comment.MAX_BODY
    assert "the full report is in the workflow run's summary" in cut
    rendered = render(cut)
    assert "Cut to fit" in rendered.split("</code></pre>")[-1]  # the notice is outside the code block
    assert len(mermaid_blocks(rendered)) == 1


@pytest.mark.parametrize("limit", [500, 2000])
def test_fit_honours_any_limit(limit):
    text = "".join(f"line {i}\n" for i in range(1000))
    assert len(comment.fit(text, "https://x", limit=limit)) <= limit


@pytest.mark.parametrize(
    "author,viewer,same",
    [
        ("github-actions[bot]", "github-actions[bot]", True),
        ("github-actions[bot]", "github-actions", True),  # GraphQL may name a bot without the suffix
        ("octocat", "octocat", True),
        ("octocat", "github-actions[bot]", False),
        ("github-actions", "github-actions[bot]", False),  # a user who took the bot's name is not the bot
    ],
)
def test_only_the_tokens_own_comments_count(author, viewer, same):
    assert comment._same_user(author, viewer) is same
