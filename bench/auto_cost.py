"""CPU seconds of one outer-fold fit of the model stage's classifiers on a demo-sized table.

The demo's handcrafted table is 51 cases x 107 features; here the first 51 cases of radMLBench's
HNSCC table (106 features) stand in for it. Each classifier is fitted as the model stage fits it
(``fit_tuned``: pipeline + inner grid) on 5 training folds of ~41 cases, in this process, and the
CPU time is summed; the model stage's cost scales with it (outer folds x repeats, threshold
refits, permutations). Last line: the ratios to the elastic net after mRMR 20 (the workflow's
default), measured in the same run.

    PYTHONPATH=. nice -n 19 python bench/auto_cost.py
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from bench.radmlbench import load
from radiodeep.model import build_pipeline
from radiodeep.model.cv import fit_tuned, outer_splits
from radiodeep.model.ensemble import AveragingEnsemble, GroupedLogisticCV


def previous_auto(seed: int = 0, inner_folds: int = 3):
    """The two-member ``auto`` of the previous release (best-C L1-logistic + random forest)."""
    pipe, grid = build_pipeline("auto", seed, selection="none", pandas_output=False)
    pipe.steps[-1] = ("clf", AveragingEnsemble([
        ("l1_logistic", GroupedLogisticCV(cv=inner_folds, class_weight="balanced", random_state=seed)),
        ("random_forest", RandomForestClassifier(300, max_features="sqrt", class_weight="balanced_subsample",
                                                 random_state=seed, n_jobs=1)),
    ]))
    return pipe, grid


def main() -> None:
    X, y, groups, _ = load("HNSCC")
    X, y, groups = X.iloc[:51], y[:51], groups[:51]
    makers = {
        "elasticnet_mrmr20": lambda: build_pipeline("elasticnet", 0, selection="mrmr", n_select=20, pandas_output=False),
        "auto_previous": previous_auto,
        "auto": lambda: build_pipeline("auto", 0, selection="none", pandas_output=False),
    }
    cpu = {}
    for name, make in makers.items():
        start = time.process_time()
        for _, _, train, _ in outer_splits(y, groups, 5, 1, 0):
            pipe, grid = make()
            fit_tuned(pipe, grid, X.iloc[train], y[train], groups[train], 3, 0)
        cpu[name] = time.process_time() - start
        print(f"{name}: {cpu[name]:.2f} CPU s for 5 fold fits on {len(y)} x {X.shape[1]}", flush=True)
    base = cpu["elasticnet_mrmr20"]
    print(" ".join(f"{k}/elasticnet_mrmr20={v / base:.2f}" for k, v in cpu.items() if k != "elasticnet_mrmr20")
          + f" auto/auto_previous={cpu['auto'] / cpu['auto_previous']:.2f}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
