"""Stage 2: train a logistic regression on data/prepared and log it to MLflow (params: train.*).

Run by `dvc repro` inside the action's `train-command`, `mlflow.start_run()` lands in the run the action
started (MLFLOW_RUN_ID), which the action then tags with the data version of dvc.lock.
"""

import json
from pathlib import Path

import mlflow
import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

params = yaml.safe_load(Path("params.yaml").read_text())["train"]
train = pd.read_csv("data/prepared/train.csv")
test = pd.read_csv("data/prepared/test.csv")
features = [c for c in train.columns if c != "label"]

with mlflow.start_run():
    model = LogisticRegression(C=params["C"], max_iter=params["max_iter"])
    model.fit(train[features], train["label"])
    predicted = model.predict(test[features])
    metrics = {
        "accuracy": accuracy_score(test["label"], predicted),
        "f1": f1_score(test["label"], predicted, average="macro"),
    }
    mlflow.log_metrics(metrics)
    mlflow.sklearn.log_model(model, name="model", input_example=test[features].head(3))
    Path("metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(f"accuracy {metrics['accuracy']:.3f}")
