"""Credentials out of messages."""

from mlflow_ci.redact import strip_credentials, strip_credentials_in, uri_password


def test_credentials_are_stripped_from_uris():
    assert (
        strip_credentials("https://bot:s3cret@mlflow.example.com:5000/path") == "https://mlflow.example.com:5000/path"
    )
    assert strip_credentials("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert strip_credentials("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
    assert uri_password("https://bot:s3cret@host") == "s3cret"
    assert uri_password("databricks") == ""


def test_credentials_are_stripped_from_urls_inside_messages():
    text = "API request to https://bot:s3cret@host:5000/api failed; see http://plain/x"
    assert strip_credentials_in(text) == "API request to https://host:5000/api failed; see http://plain/x"
