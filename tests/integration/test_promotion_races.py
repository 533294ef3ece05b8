"""Concurrent `ci` jobs promoting one registered model, as real processes against a real `mlflow server`.

The seed's results with 8 jobs: a worse model held the alias in 5 of 5 trials, alias and stage disagreed, up
to 3 versions sat in Production, and 8 jobs on one run made up to 7 versions of it.
"""

from __future__ import annotations

import pytest

from tests.helpers import jobs
from tests.helpers.registry_state import snapshot
from tests.integration.promotion import PATIENT, candidate, ci_args, new_model

JOBS = 8
TRIALS = 10
LOST = ("does not beat production",)


@pytest.mark.parametrize("trial", range(TRIALS))
def test_concurrent_jobs_with_different_candidates_leave_the_best_in_production(tmp_path, mlflow_server, trial):
    model = new_model(mlflow_server)
    accuracies = [0.80 + 0.01 * ((i * 5 + trial) % JOBS) for i in range(JOBS)]  # a different order each trial
    runs = {
        f"{trial}-{i}": candidate(mlflow_server, model.experiment, acc, f"{trial}-{i}")
        for i, acc in enumerate(accuracies)
    }
    accuracy_of = {runs[w]: acc for w, acc in zip(runs, accuracies, strict=True)}
    best_run = max(accuracy_of, key=accuracy_of.__getitem__)
    specs = []
    for workflow_run in runs:
        root = tmp_path / workflow_run
        root.mkdir()
        specs.append((root, ci_args(mlflow_server, model.experiment, model.name, *PATIENT), workflow_run))
    done = jobs.run_together(specs)

    state = snapshot(mlflow_server, model.name)
    holder = state.alias("production")
    assert holder and state.versions_of(best_run) == [holder], (state, [j.log for j in done])
    assert state.in_stage("Production") == [holder]  # alias and stage agree; one version in Production
    for run_id in runs.values():
        assert len(state.versions_of(run_id)) <= 1
    assert state.locks == ()
    # Every job either promoted its own run (exit 0) or failed saying it lost; each promotion beat the last.
    promoted = []
    for job, workflow_run in zip(done, runs, strict=True):
        if job.code == 0:
            assert job.outputs["registered"] == "true", job.log
            promoted.append(runs[workflow_run])
        else:
            assert job.code == 1, job.log
            assert len(job.errors) == 1 and any(word in job.errors[0] for word in LOST), job.log
            assert not state.versions_of(runs[workflow_run])
    assert best_run in promoted
    ledger = [(e["version"], e["previous"]) for e in state.ledger]
    assert len(ledger) == len(promoted)
    version_run = {v: r for v, r, _, _ in state.versions}
    values = [accuracy_of[version_run[v]] for v, _ in ledger]
    assert values == sorted(values) and len(set(values)) == len(values)
    assert [p for _, p in ledger] == ["", *[v for v, _ in ledger[:-1]]]  # each entry names the one it replaced


@pytest.mark.parametrize("trial", range(3))
def test_concurrent_jobs_on_the_same_run_make_one_version(tmp_path, mlflow_server, trial):
    model = new_model(mlflow_server)
    run_id = candidate(mlflow_server, model.experiment, 0.9, "same")
    specs = []
    for i in range(JOBS):
        root = tmp_path / f"job{i}"
        root.mkdir()
        specs.append((root, ci_args(mlflow_server, model.experiment, model.name, *PATIENT), "same"))
    done = jobs.run_together(specs)
    assert [job.code for job in done] == [0] * JOBS, [job.log for job in done if job.code]
    state = snapshot(mlflow_server, model.name)
    assert state.versions_of(run_id) == ["1"]
    assert state.alias("production") == "1" and state.in_stage("Production") == ["1"]
    assert {job.outputs["model_version"] for job in done} == {"1"}
    assert len(state.ledger) == 1 and state.locks == ()
