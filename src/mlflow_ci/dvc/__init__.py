"""DVC around training: the project, dvc pull and status, the data version, committing dvc.lock."""
