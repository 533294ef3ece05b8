from mlflow_ci.github import Context
from mlflow_ci.redact import strip_credentials, uri_password
from mlflow_ci.registry import registration_decision


def test_registration_only_on_a_push_to_the_default_branch():
    main_push = Context(event_name="push", ref="refs/heads/main")
    assert registration_decision("auto", main_push) == (True, "push to the default branch main")
    feature = Context(event_name="push", ref="refs/heads/feature/x")
    assert registration_decision("auto", feature) == (
        False,
        "push to refs/heads/feature/x: registration runs only on pushes to main",
    )
    pull = Context(event_name="pull_request", ref="refs/pull/3/merge")
    assert registration_decision("auto", pull) == (False, "pull_request: registration runs only on pushes to main")
    assert registration_decision("always", pull)[0]
    assert not registration_decision("never", main_push)[0]


def test_registration_follows_a_non_main_default_branch():
    ctx = Context(event_name="push", ref="refs/heads/trunk", default_branch="trunk")
    assert registration_decision("auto", ctx)[0]


def test_credentials_are_stripped_from_uris():
    assert (
        strip_credentials("https://bot:s3cret@mlflow.example.com:5000/path") == "https://mlflow.example.com:5000/path"
    )
    assert strip_credentials("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert strip_credentials("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
    assert uri_password("https://bot:s3cret@host") == "s3cret"
    assert uri_password("databricks") == ""


def test_credentials_are_stripped_from_urls_inside_messages():
    from mlflow_ci.redact import strip_credentials_in

    text = "API request to https://bot:s3cret@host:5000/api failed; see http://plain/x"
    assert strip_credentials_in(text) == "API request to https://host:5000/api failed; see http://plain/x"


def test_masked_values_never_print_even_off_github():
    import io

    from mlflow_ci.github import Runner

    stream = io.StringIO()
    runner = Runner({}, stream)
    runner.add_mask("s3cret")
    runner.error("token s3cret rejected")
    runner.info("s3cret")
    assert stream.getvalue() == "::error::token *** rejected\n***\n"
