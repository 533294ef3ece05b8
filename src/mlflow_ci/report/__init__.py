"""The report: the step summary and PR comment Markdown, its chart, and report.md/metrics.json files."""
