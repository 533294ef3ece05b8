"""The news classifier trained by your own script, as the seed workflow did: a loop over TF-IDF + linear
models, each logged with plain MLflow calls. Run by the action as `train-command: python examples/news/train.py`:
the first `mlflow.start_run()` lands in the run the action started, the others are found and tagged.

    python examples/news/train.py            # the small sample shipped in data/ (offline)
    python examples/news/train.py --full     # the real 20 newsgroups data (downloads about 14 MB once)
"""

import argparse
from pathlib import Path

import mlflow
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

CATEGORIES = ["sci.space", "rec.sport.hockey", "comp.graphics"]
MODELS = {
    "logistic-regression": lambda: LogisticRegression(max_iter=1000, C=10.0),
    "linear-svc": lambda: LinearSVC(),
    "sgd": lambda: SGDClassifier(random_state=42),
}


def load(full: bool) -> tuple[list[str], list[str]]:
    if full:
        from sklearn.datasets import fetch_20newsgroups

        news = fetch_20newsgroups(subset="all", categories=CATEGORIES, remove=("headers", "footers", "quotes"))
        return news.data, [news.target_names[i] for i in news.target]
    sample = pd.read_csv(Path(__file__).parent / "data" / "news_sample.csv")
    return sample["text"].tolist(), sample["label"].tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="train on the real 20 newsgroups data")
    texts, labels = load(parser.parse_args().full)
    x_train, x_test, y_train, y_test = train_test_split(texts, labels, test_size=0.3, random_state=42, stratify=labels)
    for name, make in MODELS.items():
        with mlflow.start_run(run_name=name):
            model = make_pipeline(TfidfVectorizer(sublinear_tf=True), make()).fit(x_train, y_train)
            predicted = model.predict(x_test)
            mlflow.log_params({"model": name, "vectorizer": "tfidf", "train_size": len(x_train)})
            mlflow.log_metrics(
                {"accuracy": accuracy_score(y_test, predicted), "f1": f1_score(y_test, predicted, average="macro")}
            )
            # Explicit requirements skip MLflow's dependency inference, which takes seconds per model.
            mlflow.sklearn.log_model(
                model,
                name="model",
                input_example=x_test[:2],
                pip_requirements=["scikit-learn", "cloudpickle"],
                serialization_format="cloudpickle",
            )
            print(f"{name}: accuracy {accuracy_score(y_test, predicted):.3f}")


if __name__ == "__main__":
    main()
