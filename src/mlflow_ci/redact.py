"""Keep credentials out of messages."""

from __future__ import annotations

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


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
