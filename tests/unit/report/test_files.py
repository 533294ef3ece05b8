"""report.md and metrics.json."""

import json
import math

from mlflow_ci.github.context import load_context
from mlflow_ci.inputs import COMMANDS_BY_NAME
from mlflow_ci.report import files as report_files
from mlflow_ci.select.decision import Candidate, Result


def test_report_dir_is_per_experiment(tmp_path):
    assert report_files.report_dir(tmp_path, "/Users/me@x.com/news exp") == (
        tmp_path / "mlflow-ci-report" / "Users-me-x.com-news-exp"
    )
    assert report_files.report_dir(tmp_path, "///").name == "experiment"


def test_metrics_json_is_valid_json_even_for_infinite_metrics(tmp_path):
    # Built by hand: this is about JSON's encoding of what a metric can hold, not about a decision.
    result = Result(
        command=COMMANDS_BY_NAME["report"],
        experiment_name="e",
        experiment_id="1",
        metric="loss",
        greater_is_better=False,
        scope="experiment",
        filter="",
        run_id="r1",
        metric_value=0.5,
        logged_model_uri="models:/m-1",
        run_url="",
        candidates=(Candidate("r1", "a", 0.5, "", (("p", "1"),)), Candidate("r2", "b", math.inf, "")),
    )
    text = report_files.dumps(report_files.metrics_document(result, load_context({})))
    document = json.loads(text)
    assert document["schema"] == "mlflow-ci-report/1"
    assert [c["value"] for c in document["candidates"]] == [0.5, None]
    assert document["production"] is None and document["gate"] is None
