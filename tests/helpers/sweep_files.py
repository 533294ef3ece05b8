"""Sweep files the sweep's tests share."""

# Three candidates on iris (a grid of two and a forest), every random_state left to the sweep's seed.
IRIS = """\
dataset: {sklearn: iris}
metrics: [accuracy, roc_auc]
seed: 1
candidates:
  - estimator: sklearn.linear_model.LogisticRegression
    params: {max_iter: 300}
    grid: {C: [0.1, 1.0]}
  - name: forest
    estimator: sklearn.ensemble.RandomForestClassifier
    params: {n_estimators: 10}
"""
