"""The GitHub side of the GitOps loop: what the composite action (`action.yml`) runs.

`python -m reconciler.gitops plan|drift|find-plan|apply` runs the `reconciler` CLI as a user
would and talks to GitHub's REST API (stdlib `urllib` only; base URL from `GITHUB_API_URL`):

- `github.py`: the REST calls (comments, issues, the runs and artifacts of a pull request);
- `bodies.py`: the texts (PR comment, drift issue) with their hidden markers; pure;
- `main.py`: the commands, reading the Actions environment (`GITHUB_*`).

The core never imports this package; it only runs the CLI. See docs/github-action.md.
"""
