from mlflow_ci.cli import run_and_exit

run_and_exit()
