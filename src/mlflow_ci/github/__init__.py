"""GitHub: the workflow run's context, the runner's contract (outputs, summary, commands) and the PR comment."""
