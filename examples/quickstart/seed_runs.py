"""Train three small classifiers on scikit-learn's bundled iris data, each as an MLflow run with a model.

The quick start runs this against the embedded sqlite store; any MLFLOW_TRACKING_URI works.
"""

import warnings

import mlflow
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

CANDIDATES = {
    "logistic-regression-c0.01": LogisticRegression(C=0.01, max_iter=500),
    "logistic-regression-c1": LogisticRegression(C=1.0, max_iter=500),
    "ridge-classifier": RidgeClassifier(),
}


def main() -> None:
    warnings.filterwarnings("ignore", category=UserWarning, module="mlflow")
    features, target = load_iris(return_X_y=True, as_frame=True)
    x_train, x_test, y_train, y_test = train_test_split(features, target, test_size=0.3, random_state=0)
    mlflow.set_experiment("quickstart-iris")
    for name, estimator in CANDIDATES.items():
        with mlflow.start_run(run_name=name):
            estimator.fit(x_train, y_train)
            predicted = estimator.predict(x_test)
            mlflow.log_params({"estimator": name, **{k: str(v) for k, v in estimator.get_params().items()}})
            mlflow.log_metrics(
                {"accuracy": accuracy_score(y_test, predicted), "f1": f1_score(y_test, predicted, average="macro")}
            )
            # Explicit requirements skip MLflow's dependency inference, which takes seconds per model.
            mlflow.sklearn.log_model(
                estimator, name="model", input_example=x_test.head(2), pip_requirements=["scikit-learn"]
            )
            print(f"trained {name}: accuracy {accuracy_score(y_test, predicted):.3f}")


if __name__ == "__main__":
    main()
