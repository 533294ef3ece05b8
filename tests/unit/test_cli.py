"""The command line: one error line for bad input, naming it."""

import contextlib
import io

from mlflow_ci import cli

BASE = {"experiment-name": "exp", "metric": "accuracy", "model-name": "m"}


def test_a_bad_comment_value_is_one_error_line_naming_the_input():
    stream = io.StringIO()
    environ = {
        "GITHUB_ACTIONS": "true",
        "INPUT_COMMENT": "yes",
        **{f"INPUT_{k.upper().replace('-', '_')}": v for k, v in BASE.items()},
    }
    with contextlib.redirect_stdout(stream):
        code = cli.main([], environ)
    assert code == 2
    assert stream.getvalue() == (
        "::error title=input comment::input 'comment' 'yes' is not one of auto, true, false: "
        "use one of auto, true, false.\n"
    )
