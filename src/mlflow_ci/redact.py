"""Keep credentials out of messages."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_URL_CREDENTIALS = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@")


def strip_credentials(uri: str) -> str:
    """The URI without user:password@, safe to print (also when it is too broken to parse)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return strip_credentials_in(uri)
    if not parts.netloc or "@" not in parts.netloc:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def uri_password(uri: str) -> str:
    """The password in user:password@host, or ''."""
    try:
        return urlsplit(uri).password or ""
    except ValueError:
        return ""


def strip_credentials_in(text: str) -> str:
    """Every URL in `text` without its user:password@."""
    return _URL_CREDENTIALS.sub(r"\1", text)


def output_tail(text: str, lines: int = 6) -> str:
    """The last non-empty lines a child process printed, on one line and without URL credentials."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return strip_credentials_in(" / ".join(kept))


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
