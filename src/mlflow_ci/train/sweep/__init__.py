"""The YAML sweep: its config, its datasets, fitting the candidates and logging them as runs."""
