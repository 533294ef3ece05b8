"""mlflow-ci-action: continuous integration for machine-learning projects tracked in MLflow.

Data flows one way: inputs -> github context -> train -> select (best run, gate) -> promote (tracking)
-> report -> outputs. `step` runs that flow; `cli` is its command line.
"""

__version__ = "0.1.0"
