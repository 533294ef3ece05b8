from __future__ import annotations

import json

from mlflow_ci.tracking import ledger
from mlflow_ci.tracking.ledger import PROMOTE, ROLLBACK, Entry


def _entry(what, version, previous, n=0):
    return Entry(
        what,
        "production",
        "Production",
        version,
        previous,
        f"2026-11-22T10:{n % 60:02d}:00Z",
        "a" * 40,
        f"https://github.com/org/repo/actions/runs/{1000000 + n}",
    )


def test_the_ledger_keeps_the_newest_entries_within_what_every_sql_backend_stores():
    entries = [_entry(PROMOTE, str(n), str(n - 1), n) for n in range(1, 200)]
    text = ledger.dumps(entries)
    assert len(text) <= 5000 == ledger.LIMIT
    kept = ledger.parse(text)
    assert kept == entries[-len(kept) :] and len(kept) > 15


def test_round_trip_and_unreadable_values():
    entries = [_entry(PROMOTE, "1", ""), _entry(ROLLBACK, "1", "2")]
    assert ledger.parse(ledger.dumps(entries)) == entries
    assert ledger.parse("{not json") == [] and ledger.parse('{"a": 1}') == [] and ledger.parse(None) == []
    assert ledger.parse(json.dumps([{"what": "promote"}, {"what": "promote", "version": "2", "at": "t"}])) == [
        Entry("promote", "", "", "2", "", "t")
    ]


def test_rollback_goes_back_along_promotions_not_back_and_forth():
    history = [_entry(PROMOTE, "1", ""), _entry(PROMOTE, "2", "1"), _entry(PROMOTE, "3", "2")]
    assert ledger.previous_of(history, "production", "Production", "3") == "2"
    history.append(_entry(ROLLBACK, "2", "3"))
    assert ledger.previous_of(history, "production", "Production", "2") == "1"
    assert ledger.previous_of(history, "production", "Production", "7") == ""
    assert ledger.previous_when_reused(history, "production", "Production", "2") == "3"


def test_version_tags_name_the_alias():
    entry = _entry(ROLLBACK, "2", "3")
    key, value = entry.version_tag()
    assert key == "mlflow_ci.entered.production" and json.loads(value)["what"] == "rollback"
    key, value = entry.previous_tag()
    assert key == "mlflow_ci.left.production" and json.loads(value)["by"] == "2"
