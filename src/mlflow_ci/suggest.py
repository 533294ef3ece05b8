""" "Did you mean": the closest of the names that exist (flags, commands, experiments, metrics)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, known: Iterable[str]) -> str:
    """The known name closest to `word` (a different case counts as closest), or '' when none is close."""
    names = list(dict.fromkeys(known))
    by_lower = {name.lower(): name for name in names}
    if word.lower() in by_lower and by_lower[word.lower()] != word:
        return by_lower[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else ""


def did_you_mean(word: str, known: Iterable[str], *, quote: str = "") -> str:
    """'did you mean X?' for the closest known name, or ''."""
    match = closest(word, known)
    return f"did you mean {quote}{match}{quote}?" if match else ""
