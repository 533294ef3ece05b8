"""Sweep data: a scikit-learn bundled dataset, a CSV with a target column, or a `module:function` loader."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from mlflow_ci.train.sweep.config import Dataset, SweepConfigError


def load(dataset: Dataset, config_path: Path, workspace: Path) -> tuple[Any, Any]:
    """(X, y). Text (a column named alone in `features`, or a loader's list of documents) comes back as a
    one-column DataFrame, so the logged model's signature names the column a server must send."""
    if dataset.kind == "sklearn":
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, f"load_{dataset.source}")(as_frame=True)
        return bunch.data, bunch.target
    if dataset.kind == "csv":
        import pandas as pd

        try:
            frame = pd.read_csv(dataset.source)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise SweepConfigError(
                config_path,
                "dataset.csv",
                f"cannot be read ({' '.join(str(exc).split())[:300]})",
                "give a UTF-8 CSV file with a header row",
            ) from None
        y = frame[dataset.target]
        if isinstance(dataset.features, str):
            return frame[[dataset.features]].astype(str), y
        return frame[list(dataset.features)] if dataset.features else frame.drop(columns=[dataset.target]), y
    x, y = _call_loader(dataset, config_path, workspace)
    if getattr(x, "ndim", None) == 1 or (isinstance(x, list) and x and isinstance(x[0], str)):
        import pandas as pd

        x = pd.DataFrame({"text": list(x)})
    return x, y


def _call_loader(dataset: Dataset, config_path: Path, workspace: Path) -> tuple[Any, Any]:
    module_name, _, function_name = dataset.source.partition(":")
    if str(workspace) not in sys.path:
        sys.path.insert(0, str(workspace))  # the user's own modules, as `python -m` from the workspace sees them
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as exc:
        raise SweepConfigError(
            config_path,
            "dataset.loader",
            f"'{dataset.source}' cannot be imported ({exc})",
            "give module:function importable from the workspace",
        ) from None
    try:
        loaded = function(**dataset.kwargs)
    except Exception as exc:
        raise SweepConfigError(
            config_path,
            "dataset.loader",
            f"'{dataset.source}' raised {type(exc).__name__}: {' '.join(str(exc).split())[:300]}",
            "fix the loader or its kwargs",
        ) from None
    if isinstance(loaded, tuple) and len(loaded) == 2:
        return loaded
    if hasattr(loaded, "data") and hasattr(loaded, "target"):
        return loaded.data, loaded.target
    raise SweepConfigError(
        config_path,
        "dataset.loader",
        f"'{dataset.source}' returned {type(loaded).__name__}",
        "return (X, y) or a scikit-learn Bunch with data and target",
    )
