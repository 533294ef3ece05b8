"""Property: whatever a user types, whatever event file or sweep file or URI the CLI is handed, it answers
with an exit code from the table, exactly one error line when it fails (none when it succeeds), no traceback,
no secret, and an input error creates nothing (no store, no folder, nothing in the store it was pointed at).

Hypothesis draws the command line, INPUT_* variables, the event payload, a sweep file with its CSV, and
tracking URIs (bad schemes, broken hosts, local stores that exist and that do not, a real `mlflow server` and
a closed port). The budget is fixed and the draw derandomized, so CI runs the same examples every time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from mlflow import MlflowClient

from mlflow_ci import inputs as params
from tests.helpers import gh
from tests.helpers.cli import Answer, assert_contract, clean_environ, exit_codes, files_under, run_main
from tests.helpers.mlflow_runs import log_run
from tests.helpers.servers import free_port

SECRET = "pr0perty-s3cret-never-shown"
NAMES = [command.name for command in params.COMMANDS]
EXAMPLES = int(os.environ.get("MLFLOW_CI_PROPERTY_EXAMPLES", "120"))

# --- the world the examples run in: a store that exists, with a run, a model and a deleted experiment --------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("property-store") / "mlflow.db"
    uri = f"sqlite:///{path}"
    log_run(uri, "news", {"accuracy": 0.9, "f1": 0.8}, params={"estimator": "sklearn.svm.LinearSVC"})
    log_run(uri, "news", {"accuracy": 0.7}, model="none")
    log_run(uri, "gone", {"accuracy": 0.5}, model="none")
    client = MlflowClient(uri)
    client.delete_experiment(client.get_experiment_by_name("gone").experiment_id)
    import mlflow

    mlflow.set_tracking_uri(None)  # leave no global tracking URI behind for the CLI to lean on
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- strategies ----------------------------------------------------------------------------------------------

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
weird = st.one_of(
    text,
    st.sampled_from(["", " ", "0", "-1", "nan", "inf", "1e309", "true", "True", "yes", "none", "'", '"', "`x`", "%0A"]),
)


def uris(server: str, store: Path) -> st.SearchStrategy[str]:
    closed = f"http://127.0.0.1:{free_port()}"
    return st.one_of(
        st.sampled_from(
            [
                server,
                f"sqlite:///{store}",
                closed,
                f"http://user:{SECRET}@127.0.0.1:{free_port()}",
                f"http://user:{SECRET}@{server.removeprefix('http://')}",
                "htp://127.0.0.1:5000",
                "http://[::1",
                "http://[::1]:99999",
                "http://",
                "https://",
                "sqlite:///nonexistent/dir/x.db",
                "sqlite:///mlflow.db",
                "sqlite://",
                "file:./mlruns",
                "./mlruns",
                "mlruns",
                "postgresql://u@127.0.0.1:1/db",
                "databricks://no-such-profile",
                "ftp://example.com/x",
                ":",
                "\x00",
            ]
        ),
        st.builds(
            lambda scheme, rest: f"{scheme}{rest}", st.sampled_from(["http://", "sqlite:///", "file:", ""]), text
        ),
    )


EVENTS = st.one_of(
    st.just(json.dumps(gh.push_event("main")).encode()),
    st.just(json.dumps(gh.pull_request_event()).encode()),
    st.just(json.dumps(gh.pull_request_event(fork=True)).encode()),
    st.recursive(
        st.none() | st.booleans() | st.integers() | text,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["pull_request", "head", "repo", "number", "repository", "ref"]), inner, max_size=4
            )
        ),
        max_leaves=8,
    ).map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=40),
)

ESTIMATORS = [
    "sklearn.dummy.DummyClassifier",
    "sklearn.tree.Forest",
    "sklearn.linear_model.Ridge",
    "collections.OrderedDict",
    "",
]
SWEEP_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10) | st.floats(allow_nan=True) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def sweep_documents(draw: st.DrawFn) -> bytes:
    """A sweep file: its known keys with values of any shape, or bytes that are not YAML, not UTF-8, not a map."""
    kind = draw(st.sampled_from(["keys", "keys", "bytes", "latin-1"]))
    if kind == "bytes":
        return draw(st.binary(max_size=60))
    document = {
        "dataset": draw(
            st.one_of(
                st.fixed_dictionaries({"csv": st.just("data.csv"), "target": st.sampled_from(["label", "x", "nope"])}),
                st.fixed_dictionaries({"sklearn": st.sampled_from(["iris", "nope", ""])}),
                SWEEP_VALUES,
            )
        ),
        "metrics": draw(st.one_of(st.just(["accuracy"]), st.just([["accuracy"]]), SWEEP_VALUES)),
        "candidates": draw(
            st.one_of(
                st.lists(
                    st.fixed_dictionaries(
                        {"name": text, "estimator": st.sampled_from(ESTIMATORS)},
                        optional={"params": SWEEP_VALUES, "grid": SWEEP_VALUES},
                    ),
                    max_size=2,
                ),
                SWEEP_VALUES,
            )
        ),
    }
    for key in draw(st.sets(st.sampled_from([*document, "cv", "seed", "split", "extra"]), max_size=2)):
        document[key] = draw(SWEEP_VALUES)
    data = yaml.safe_dump(document, allow_unicode=True).encode()
    return data + b"# caf\xe9\n" if kind == "latin-1" else data


CSV_HEADERS = st.sampled_from([b"x,label", b"caf\xe9,label", b"\xff\xfe", b"", b"x;label", b"label"])


PLAUSIBLE = {
    "experiment-name": ["news", "nwes", "gone", "News"],
    "metric": ["accuracy", "acuracy", "f1", "rmse"],
    "greater-is-better": ["true", "false"],
    "threshold": ["0.5", "0.95", "0", ""],
    "min-improvement": ["0", "0.01", ""],
    "filter": ["", "params.estimator = 'sklearn.svm.LinearSVC'", "metrics.f1 > 0.5", "bogus syntax (("],
    "model-name": ["News", "Other model"],
    "stage": ["", "Production", "Staging"],
    "alias": ["", "champion", "latest"],
    "train-command": ["exit 3", "false", "echo hello", ""],
    "sweep-config": ["sweep.yml", "missing.yml", "", "."],
    "dvc-commit-lock": ["true", "false"],
    "fail-on-gate": ["true", "false"],
}


def value_of(param: params.Param, server: str, store: Path) -> st.SearchStrategy[str]:
    """Mostly what a user would plausibly type for this input, one time in twenty anything at all."""
    if param.name == "tracking-uri":
        return uris(server, store)
    if param.secret == "value":
        return st.just(SECRET)
    plausible = PLAUSIBLE.get(param.name) or list(param.choices) or [param.default]
    return st.integers(0, 19).flatmap(lambda n: weird if n == 0 else st.sampled_from(plausible))


@st.composite
def invocations(draw: st.DrawFn, server: str, store: Path) -> dict:
    values: dict[str, str] = {}
    for param in params.PARAMETERS:
        # The three every command reads are there nine times in ten, so most examples get past them.
        core = param.name in ("tracking-uri", "experiment-name", "metric")
        if param.name == "command" or draw(st.integers(0, 9)) >= (9 if core else 2):
            continue
        values[param.name] = draw(value_of(param, server, store))
    return {
        "command": draw(st.sampled_from([*NAMES, *NAMES, "", "bogus", "--help"])),
        "values": values,
        "as_env": draw(st.sets(st.sampled_from(sorted(values)), max_size=len(values)) if values else st.just(set())),
        "junk": draw(
            st.integers(0, 5).flatmap(
                lambda n: (
                    st.just([])
                    if n
                    else st.lists(
                        st.sampled_from(["--metrc", "x", "--json", "--", "-h", "--version", "--no-such"]), max_size=2
                    )
                )
            )
        ),
        "on_github": draw(st.booleans()),
        "event_name": draw(st.sampled_from(["push", "pull_request", "workflow_dispatch", ""])),
        "event": draw(EVENTS),
        "sweep": draw(sweep_documents()),
        "csv_header": draw(CSV_HEADERS),
    }


def argv_and_env(case: dict, folder: Path, home: Path) -> tuple[list[str], dict[str, str]]:
    environ = {**clean_environ(home), "MLFLOW_TRACKING_PASSWORD": SECRET, "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    argv = [case["command"]] if case["command"] else []
    for name, value in case["values"].items():
        if name in case["as_env"]:
            environ[params.PARAMS_BY_NAME[name].env] = value
        else:
            argv.append(f"--{name}={value}")
    argv += case["junk"]
    if case["on_github"]:
        step = gh.step_env(folder.parent / "runner", case["event_name"] or "push", {})
        Path(step.environ["GITHUB_EVENT_PATH"]).write_bytes(case["event"])
        environ.update(step.environ, GITHUB_EVENT_NAME=case["event_name"], GITHUB_WORKSPACE=str(folder))
    return argv, environ


@pytest.fixture(scope="module")
def fast_failing_client():
    """MLflow reads its retry settings from the process environment: no retries, so a closed port answers now."""
    saved = {name: os.environ.get(name) for name in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
    os.environ.update(MLFLOW_HTTP_REQUEST_MAX_RETRIES="0", MLFLOW_HTTP_REQUEST_TIMEOUT="5")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def test_every_input_keeps_the_contract(mlflow_server, store, fast_failing_client):
    codes = exit_codes()
    cwd = os.getcwd()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=(Phase.explicit, Phase.generate),  # no shrinking: a failure costs no more time than a pass
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(case=invocations(mlflow_server, store))
    def check(case: dict) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            home = Path(scratch)
            folder = home / "work"
            folder.mkdir()
            (folder / "sweep.yml").write_bytes(case["sweep"])
            (folder / "data.csv").write_bytes(case["csv_header"] + b"\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n")
            argv, environ = argv_and_env(case, folder, home)
            before, store_before = files_under(folder), digest(store)
            os.chdir(folder)
            try:
                answer: Answer = run_main(argv, environ)
            finally:
                os.chdir(cwd)
            assert_contract(answer, codes, secrets=(SECRET,))
            if answer.code == 2:  # an input error created nothing and wrote nothing
                assert files_under(folder) == before, argv
                assert digest(store) == store_before, argv

    check()
