"""The promotion ledger: every move of a production alias, kept on the registered model.

MLflow keeps no history of aliases (its alias table holds name, alias and version), so each promotion and
rollback appends an entry to a registered-model tag and tags the versions involved. The tag is bounded:
the newest entries are kept within LIMIT characters.

MLflow's client accepts registry tag values up to 100,000 characters (MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH
in mlflow/utils/validation.py), but its SQL store declares registered_model_tags.value as VARCHAR(5000)
(mlflow/store/model_registry/dbmodels/models.py): PostgreSQL and MySQL refuse longer values, sqlite does
not check. So the ledger stays within 5,000 characters, which every backend stores.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from mlflow.utils.validation import MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH

TAG_LEDGER = "mlflow_ci.ledger"
SQL_COLUMN_LIMIT = 5000
LIMIT = min(SQL_COLUMN_LIMIT, MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH)
PROMOTE = "promote"
ROLLBACK = "rollback"


@dataclass(frozen=True)
class Entry:
    what: str  # promote | rollback
    alias: str
    stage: str
    version: str
    previous: str  # the version that held the alias (or stage) before; "" for the first
    at: str  # ISO 8601, UTC, to the second
    commit: str = ""
    run_url: str = ""  # the workflow run that made the move

    def version_tag(self) -> tuple[str, str]:
        """The tag the new holder gets: what put it in production, when, and from where."""
        return f"mlflow_ci.entered.{self.alias or self.stage}", _dumps(asdict(self))

    def previous_tag(self) -> tuple[str, str]:
        """The tag the version it replaced gets."""
        value = {"at": self.at, "by": self.version, "what": self.what, "run_url": self.run_url}
        return f"mlflow_ci.left.{self.alias or self.stage}", _dumps(value)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def parse(text: str | None) -> list[Entry]:
    """The entries, oldest first; an unreadable tag or entry is skipped rather than trusted."""
    if not text:
        return []
    try:
        raw = json.loads(text)
    except ValueError:
        return []
    if not isinstance(raw, list):
        return []
    fields = set(Entry.__dataclass_fields__)
    entries = []
    for item in raw:
        if isinstance(item, dict) and {"what", "version", "at"} <= item.keys():
            values = {k: str(item.get(k) or "") for k in fields}
            entries.append(Entry(**values))
    return entries


def read(tags: Mapping[str, str]) -> list[Entry]:
    return parse(tags.get(TAG_LEDGER))


def dumps(entries: Sequence[Entry], limit: int = LIMIT) -> str:
    """The tag's value: the newest entries that fit in `limit` characters (the oldest are dropped)."""
    kept = list(entries)
    text = _dumps([asdict(e) for e in kept])
    while len(text) > limit and kept:
        kept.pop(0)
        text = _dumps([asdict(e) for e in kept])
    return text


def appended(entries: Sequence[Entry], entry: Entry, limit: int = LIMIT) -> str:
    return dumps([*entries, entry], limit)


def for_alias(entries: Sequence[Entry], alias: str, stage: str) -> list[Entry]:
    return [e for e in entries if (e.alias, e.stage) == (alias, stage) or (alias and e.alias == alias)]


def previous_of(entries: Sequence[Entry], alias: str, stage: str, holder: str) -> str:
    """What held the alias before `holder` went in by its latest promotion: rollback's default target.

    A rollback entry is skipped on purpose: after rolling 3 back to 2, the next rollback goes to what held
    the alias before 2 was promoted (1), not back to 3.
    """
    for entry in reversed(for_alias(entries, alias, stage)):
        if entry.what == PROMOTE and entry.version == holder:
            return entry.previous
    return ""


def previous_when_reused(entries: Sequence[Entry], alias: str, stage: str, holder: str) -> str:
    """For a re-run that finds its version already in production: the previous version it reported then."""
    for entry in reversed(for_alias(entries, alias, stage)):
        if entry.version == holder:
            return entry.previous
    return ""
