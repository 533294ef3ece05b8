"""What a new user gets wrong in the first hour, each as the CLI answers it: one error line naming the input
and the fix, the documented exit code, no traceback, and nothing created (no store, no folder)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from mlflow import MlflowClient

from tests.helpers import gh
from tests.helpers.cli import assert_contract, clean_environ, exit_codes, files_under, run_main, run_process
from tests.helpers.mlflow_runs import log_run, unique

SECRET = "s3cr3t-first-hour"


@pytest.fixture
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A user's shell in an empty folder, off GitHub."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return clean_environ(tmp_path)


def read_args(command: str, *extra: str) -> list[str]:
    args = [command, "--experiment-name", "news", "--metric", "accuracy", *extra]
    return [*args, "--register", "never"] if command == "ci" else args


# --- tracking URIs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri", ["htp://127.0.0.1:5000", "http://[::1", "http://127.0.0.1:99999", "ftp://example.com/x"]
)
@pytest.mark.parametrize("command", ["best-run", "gate", "report", "ci"])
def test_a_tracking_uri_mlflow_cannot_use_is_an_input_error(user, uri, command):
    before = files_under(Path.cwd())
    answer = run_main(read_args(command, "--tracking-uri", uri), user)
    assert_contract(answer, exit_codes())
    assert answer.code == 2
    assert answer.error.startswith("error: input 'tracking-uri' ")
    assert uri in answer.error
    assert files_under(Path.cwd()) == before


# --- read-only commands never create a store ---------------------------------------------------------------


@pytest.mark.parametrize("command", ["best-run", "gate", "report", "register", "ci"])
def test_a_read_only_command_in_an_empty_folder_creates_no_store(user, command):
    extra = ["--model-name", "m", "--register", "always"] if command == "register" else []
    answer = run_main(read_args(command, *extra), user)  # the default store: sqlite:///mlflow.db
    assert_contract(answer, exit_codes())
    assert answer.code == 2
    assert "input 'tracking-uri'" in answer.error
    assert str(Path.cwd() / "mlflow.db") in answer.error  # names the path it looked for
    assert files_under(Path.cwd()) == set()


@pytest.mark.parametrize("uri", ["sqlite:///nonexistent/dir/x.db", "./mlruns", "file:./nowhere/mlruns"])
def test_a_mistyped_local_store_is_an_input_error_that_names_the_path(user, uri):
    answer = run_main(read_args("best-run", "--tracking-uri", uri), user)
    assert_contract(answer, exit_codes())
    assert answer.code == 2
    assert "input 'tracking-uri'" in answer.error and "does not exist" in answer.error
    assert files_under(Path.cwd()) == set()  # not the folder, not a new store


# --- sweep files -------------------------------------------------------------------------------------------

SWEEP = """\
dataset: {csv: data.csv, target: label}
metrics: [accuracy]
candidates:
  - name: dummy
    estimator: sklearn.dummy.DummyClassifier
"""


def write_csv(folder: Path, header: bytes = b"x,label") -> None:
    (folder / "data.csv").write_bytes(header + b"\n" + b"".join(b"%d,%d\n" % (i, i % 2) for i in range(20)))


@pytest.mark.parametrize(
    "sweep,header,names",
    [
        pytest.param(SWEEP.encode() + b"# caf\xe9 au lait\n", b"x,label", "sweep.yml", id="non-utf8-sweep"),
        pytest.param(SWEEP.encode(), b"caf\xe9,label", "data.csv", id="latin1-csv-header"),
        pytest.param(SWEEP.replace("[accuracy]", "[[accuracy]]").encode(), b"x,label", "metrics", id="nested-metrics"),
        pytest.param(b"- just\n- a list\n", b"x,label", "sweep.yml", id="yaml-list"),
        pytest.param(b"dataset: [\n", b"x,label", "sweep.yml", id="broken-yaml"),
    ],
)
@pytest.mark.parametrize("command", ["train", "ci"])
def test_a_bad_sweep_file_fails_before_any_store_exists(user, sweep, header, names, command):
    work = Path.cwd()
    (work / "sweep.yml").write_bytes(sweep)
    write_csv(work, header)
    before = files_under(work)
    args = ["--sweep-config", "sweep.yml", "--experiment-name", "news"]
    args += ["--metric", "accuracy", "--register", "never"] if command == "ci" else []
    answer = run_main([command, *args], user)
    assert_contract(answer, exit_codes())
    assert answer.code == 2
    assert answer.error.startswith("error: input 'sweep-config' ") and names in answer.error
    assert files_under(work) == before  # no mlflow.db, no mlruns


# --- event payloads ----------------------------------------------------------------------------------------


@pytest.fixture
def experiment_with_a_run(mlflow_server: str) -> str:
    experiment = unique("news")
    log_run(mlflow_server, experiment, {"accuracy": 0.9})
    return experiment


@pytest.mark.parametrize(
    "event_name,payload",
    [
        ("push", "[1, 2, 3]"),
        ("pull_request", '{"number": 7, "pull_request": "a string"}'),
        ("pull_request", '{"number": 7, "pull_request": {"head": "a string", "number": "x"}}'),
        ("pull_request", '{"pull_request": {"head": {"repo": ["not", "a", "dict"]}}}'),
        ("push", '"just a string"'),
        ("push", "null"),
        ("push", "{not json"),
        ("push", b"\xff\xfe\x00garbage"),
    ],
)
def test_a_malformed_event_file_is_no_traceback(tmp_path, mlflow_server, experiment_with_a_run, event_name, payload):
    step = gh.step_env(tmp_path / "step", event_name, {})
    data = payload if isinstance(payload, bytes) else payload.encode()
    Path(step.environ["GITHUB_EVENT_PATH"]).write_bytes(data)
    environ = {**clean_environ(tmp_path), **step.environ, "MLFLOW_TRACKING_PASSWORD": SECRET}
    args = ["best-run", "--tracking-uri", mlflow_server, "--experiment-name", experiment_with_a_run]
    answer = run_main([*args, "--metric", "accuracy"], environ)
    assert_contract(answer, exit_codes(), secrets=(SECRET,))
    if answer.code:
        assert answer.code == 2 and "GITHUB_EVENT_PATH" in answer.error


# --- the server's answers ----------------------------------------------------------------------------------


def test_a_deleted_experiment_says_so_and_how_to_fix_it(user, mlflow_server):
    experiment = unique("deleted")
    log_run(mlflow_server, experiment, {"accuracy": 0.9})
    client = MlflowClient(mlflow_server)
    client.delete_experiment(client.get_experiment_by_name(experiment).experiment_id)
    for command in ("best-run", "gate", "report", "ci"):
        answer = run_main(read_args(command, "--tracking-uri", mlflow_server, "--experiment-name", experiment), user)
        assert_contract(answer, exit_codes())
        assert answer.code == 2, answer.output
        assert f"'{experiment}' is deleted" in answer.error
        assert "restore it or use another" in answer.error


class _Always500(BaseHTTPRequestHandler):
    """A double of a broken tracking server: it answers every request with HTTP 500."""

    requests: ClassVar[list[str]] = []

    def _answer(self) -> None:
        self.requests.append(self.path)
        body = b'{"error_code": "INTERNAL_ERROR", "message": "database is on fire"}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def broken_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Always500)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_server_answering_500_is_not_called_unreachable(user, broken_server):
    _Always500.requests.clear()
    answer = run_process(read_args("best-run", "--tracking-uri", broken_server), user, cwd=Path.cwd())
    # It gives up after the action's 2 retries of the first request, not MLflow's own 7 (minutes of backoff).
    assert 1 <= len(_Always500.requests) <= 3, _Always500.requests
    assert_contract(answer, exit_codes())
    assert answer.code == 3
    assert "cannot reach" not in answer.error
    assert "500" in answer.error and broken_server in answer.error


# --- flags -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv,suggestion",
    [
        (["ci", "--metrc", "accuracy"], "--metric"),
        (["--metrc", "accuracy"], "--metric"),  # no command: not "invalid choice: 'accuracy'"
        (["best-run", "--experiment", "news"], "--experiment-name"),
        (["best-run", "--treshold", "0.9"], "--threshold"),
        (["bestrun", "--metric", "accuracy"], "best-run"),
    ],
)
def test_a_mistyped_flag_or_command_gets_a_suggestion(user, argv, suggestion):
    answer = run_main(argv, user)
    assert_contract(answer, exit_codes())
    assert answer.code == 2
    assert f"did you mean {suggestion}?" in answer.error
    assert "invalid choice: 'accuracy'" not in answer.error
    assert "input 'command line'" not in answer.error


def test_a_mistyped_flag_on_a_runner_is_one_error_command(tmp_path):
    step = gh.step_env(tmp_path / "step", "push", gh.push_event("main"))
    answer = run_main(["ci", "--metrc", "accuracy"], {**clean_environ(tmp_path), **step.environ})
    assert_contract(answer, exit_codes())
    assert answer.code == 2 and "did you mean --metric?" in answer.error
    assert "input 'command line'" not in answer.error


# --- a failed train step has its own exit code -------------------------------------------------------------


def test_a_failed_train_command_exits_with_the_training_code(user):
    answer = run_main(["train", "--experiment-name", "news", "--train-command", "exit 7"], user)
    assert_contract(answer, exit_codes())
    assert answer.code == 4
    assert "train-command" in answer.error and "7" in answer.error


def test_exit_codes_are_documented_once(user):
    """The README's exit-code table and --help's line both come from the table in errors.py."""
    from mlflow_ci.errors import EXIT_CODES, exit_codes_line
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code, meaning in EXIT_CODES.items():
        assert f"| `{code}` | {meaning} |" in readme
    helped = run_main(["--help"], user)
    assert helped.code == 0 and " ".join(exit_codes_line().split()) in " ".join(helped.stdout.split())
    assert set(EXIT_CODES) == {0, 1, 2, 3, 4, 5}
