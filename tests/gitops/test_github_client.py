"""The REST client against the stand-in: retries of GitHub's passing failures, never of a POST,
and errors that name the call and the permission."""

from __future__ import annotations

import pytest

from reconciler.gitops.github import GitHub, GitHubError

from .github_standin import github_standin


def test_a_passing_502_is_retried_for_reads_and_updates() -> None:
    with github_standin() as (url, state):
        state.add_pull_request(3)
        github = GitHub(state.repository, "t", url)
        made = github.add_comment(3, "<!-- m --> hello")
        state.flaky = [502, 503]
        assert github.upsert_comment(3, "<!-- m -->", "<!-- m --> again") == ("updated", made)
        assert state.comments[made]["body"] == "<!-- m --> again"


def test_a_post_is_never_repeated() -> None:
    with github_standin() as (url, state):
        state.add_pull_request(3)
        state.flaky = [502]
        with pytest.raises(GitHubError, match=r"POST /repos/acme/platform/issues/3/comments"):
            GitHub(state.repository, "t", url).add_comment(3, "x")
        assert state.comments == {}
        assert [r.method for r in state.requests] == ["POST"]


def test_errors_name_the_call_and_the_permission() -> None:
    with github_standin() as (url, state):
        state.refuse = 403
        with pytest.raises(GitHubError) as raised:
            GitHub(state.repository, "t", url).find_open_issue("<!-- m -->")
        assert "GET /repos/acme/platform/issues: GitHub answered 403" in str(raised.value)
        assert "issues: write" in str(raised.value)
        assert raised.value.status == 403


def test_an_unreachable_api_is_named() -> None:
    with github_standin() as (url, _state):
        pass  # stopped: nothing listens there any more
    with pytest.raises(GitHubError, match=r"cannot reach GitHub at http://127\.0\.0\.1"):
        GitHub("a/b", "t", url, timeout=5).pulls_of_commit("0" * 40)
