"""Keep credentials out of messages."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit


def strip_credentials(uri: str) -> str:
    """The URI without user:password@, safe to print."""
    parts = urlsplit(uri)
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


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Secrets replaced by *** in what the runner's log masking never sees: the PR comment, the report files."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
