"""What the registry holds for one model, read straight from the server, to compare before and after."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

LOCK_SUFFIX = "_mlflow_ci_lock"
LEDGER_TAG = "mlflow_ci.ledger"


@dataclass(frozen=True)
class Snapshot:
    exists: bool
    versions: tuple[tuple[str, str, str, str], ...]  # (version, run_id, stage, status)
    aliases: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...]
    version_tags: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    locks: tuple[str, ...]  # lock (and takeover marker) models left behind

    @property
    def ledger(self) -> list[dict]:
        return json.loads(dict(self.tags).get(LEDGER_TAG, "[]"))

    def alias(self, name: str) -> str:
        return dict(self.aliases).get(name, "")

    def in_stage(self, stage: str) -> list[str]:
        return [v for v, _, s, _ in self.versions if s == stage]

    def versions_of(self, run_id: str) -> list[str]:
        return [v for v, r, _, _ in self.versions if r == run_id]


def snapshot(server: str, name: str) -> Snapshot:
    client = MlflowClient(server)
    locks = tuple(
        sorted(m.name for m in client.search_registered_models(f"name LIKE '{name}{LOCK_SUFFIX}%'", max_results=100))
    )
    try:
        model = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        return Snapshot(False, (), (), (), (), locks)
    versions = sorted(client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version))
    return Snapshot(
        True,
        tuple((str(v.version), v.run_id or "", v.current_stage, v.status) for v in versions),
        tuple(sorted(model.aliases.items())),
        tuple(sorted(model.tags.items())),
        tuple((str(v.version), tuple(sorted(v.tags.items()))) for v in versions),
        locks,
    )
