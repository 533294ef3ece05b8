"""mlflow-ci-action: continuous integration for machine-learning projects tracked in MLflow."""

__version__ = "0.1.0"
