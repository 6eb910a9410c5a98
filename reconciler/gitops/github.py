"""A small client of GitHub's REST API over `urllib`: the calls the action needs, nothing more.

The base URL is `GITHUB_API_URL` (GitHub Enterprise sets it; tests point it at a local server).
Lists follow the `Link: <…>; rel="next"` header, so a pull request with hundreds of comments is
searched whole.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

DEFAULT_API_URL = "https://api.github.com"
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')

_PERMISSION_HINTS = {
    "comments": "the job needs `permissions: pull-requests: write`",
    "issues": "the job needs `permissions: issues: write`",
    "actions": "the job needs `permissions: actions: read`",
}


class GitHubError(Exception):
    """A request GitHub refused or could not answer; the message names the call."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after: float | None = None  # set when the same request may succeed later


class GitHub:
    """The repository `owner/name` seen through the REST API with `token`."""

    def __init__(
        self, repository: str, token: str, api_url: str = DEFAULT_API_URL, *, timeout: float = 30
    ) -> None:
        if "/" not in repository:
            raise GitHubError(f"GITHUB_REPOSITORY must be owner/name, not {repository!r}")
        self.repository = repository
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.attempts = 3
        self.sleep: Callable[[float], None] = time.sleep

    # -- transport ----------------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, str]]:
        """(decoded JSON or None, headers) of `method path`; GitHubError on any failure."""
        url = path if path.startswith(("http://", "https://")) else self.api_url + path
        data = json.dumps(body).encode() if body is not None else None
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "reconciler-gitops",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if data is not None:
            headers["Content-Type"] = "application/json"
        shown = f"{method} {urllib.parse.urlsplit(url).path}"
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                return self._send(request, shown)
            except GitHubError as error:
                # GitHub's 502/503 and secondary rate limits pass; a POST is never repeated
                # (a lost answer would make a second comment or issue)
                if method == "POST" or attempt == self.attempts or error.retry_after is None:
                    raise
                self.sleep(min(error.retry_after, 60.0) * attempt)
        raise AssertionError("unreachable")

    def _send(self, request: urllib.request.Request, shown: str) -> tuple[Any, dict[str, str]]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                raw = answer.read()
                return (json.loads(raw) if raw else None), dict(answer.headers.items())
        except urllib.error.HTTPError as error:
            failed = GitHubError(_explain(shown, error), error.code)
            limited = error.code == 429 or (
                error.code == 403 and error.headers.get("Retry-After") is not None
            )
            if error.code in (500, 502, 503, 504) or limited:
                failed.retry_after = _seconds(error.headers.get("Retry-After"), default=2.0)
            raise failed from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            where = f"cannot reach GitHub at {self.api_url} ({reason})"
            raise GitHubError(f"{shown}: {where}") from None
        except json.JSONDecodeError:
            raise GitHubError(f"{shown}: GitHub's answer is not JSON") from None

    def paginate(self, path: str) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint (`path` with its query), page after page."""
        url: str | None = path
        while url is not None:
            page, headers = self.request("GET", url)
            items = page if isinstance(page, list) else _items_of(page)
            yield from items
            found = _NEXT.search(headers.get("Link", "") or headers.get("link", ""))
            url = found[1] if found else None

    @property
    def _repo(self) -> str:
        return f"/repos/{self.repository}"

    # -- pull request comments ----------------------------------------------------------------

    def find_comment(self, number: int, marker: str) -> dict[str, Any] | None:
        """The first comment of issue/PR `number` whose body holds `marker`."""
        for comment in self.paginate(f"{self._repo}/issues/{number}/comments?per_page=100"):
            if marker in (comment.get("body") or ""):
                return comment
        return None

    def upsert_comment(self, number: int, marker: str, body: str) -> tuple[str, int]:
        """Update the comment holding `marker` in place, or create it: ("updated"|"created", id).
        `body` must contain `marker`, so the next call finds it."""
        if marker not in body:
            raise ValueError("the comment body must contain its marker")
        existing = self.find_comment(number, marker)
        if existing is not None:
            self.request("PATCH", f"{self._repo}/issues/comments/{existing['id']}", {"body": body})
            return "updated", int(existing["id"])
        made, _ = self.request("POST", f"{self._repo}/issues/{number}/comments", {"body": body})
        return "created", int(made["id"])

    def add_comment(self, number: int, body: str) -> int:
        made, _ = self.request("POST", f"{self._repo}/issues/{number}/comments", {"body": body})
        return int(made["id"])

    # -- issues -------------------------------------------------------------------------------

    def find_open_issue(self, marker: str) -> dict[str, Any] | None:
        """The open issue (not pull request) whose body holds `marker`."""
        for issue in self.paginate(f"{self._repo}/issues?state=open&per_page=100"):
            if "pull_request" not in issue and marker in (issue.get("body") or ""):
                return issue
        return None

    def create_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        fields: dict[str, Any] = {"title": title, "body": body}
        if labels:
            fields["labels"] = labels
        made, _ = self.request("POST", f"{self._repo}/issues", fields)
        return dict(made)

    def update_issue(self, number: int, **fields: Any) -> None:
        self.request("PATCH", f"{self._repo}/issues/{number}", fields)

    # -- the plan a merged pull request was reviewed with -------------------------------------

    def pulls_of_commit(self, sha: str) -> list[dict[str, Any]]:
        """The pull requests a commit belongs to (a merge commit: the PR it merged)."""
        found, _ = self.request("GET", f"{self._repo}/commits/{sha}/pulls")
        return list(found or [])

    def pull_request_runs(self, head_sha: str) -> list[dict[str, Any]]:
        """Workflow runs of `pull_request` events on `head_sha`, newest first."""
        query = urllib.parse.urlencode({"head_sha": head_sha, "event": "pull_request"})
        runs = list(self.paginate(f"{self._repo}/actions/runs?{query}&per_page=100"))
        return sorted(runs, key=lambda run: str(run.get("created_at", "")), reverse=True)

    def run_artifacts(self, run_id: int, name: str) -> list[dict[str, Any]]:
        """The unexpired artifacts named `name` of workflow run `run_id`."""
        query = urllib.parse.urlencode({"name": name, "per_page": 100})
        found = self.paginate(f"{self._repo}/actions/runs/{run_id}/artifacts?{query}")
        return [a for a in found if a.get("name") == name and not a.get("expired")]


def _seconds(value: str | None, *, default: float) -> float:
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


def _items_of(page: Any) -> list[dict[str, Any]]:
    """The list inside an enveloped page (`{"total_count": n, "workflow_runs": [...]}`)."""
    if isinstance(page, dict):
        for value in page.values():
            if isinstance(value, list):
                return value
    return []


def _explain(call: str, error: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(error.read() or b"{}").get("message", "")
    except (json.JSONDecodeError, AttributeError, OSError):
        detail = ""
    text = f"{call}: GitHub answered {error.code}" + (f" ({detail})" if detail else "")
    if error.code in (401, 403, 404):
        area = next((key for key in _PERMISSION_HINTS if f"/{key}" in call), "issues")
        text += f": check the token given as `github-token`; {_PERMISSION_HINTS[area]}"
    return text
