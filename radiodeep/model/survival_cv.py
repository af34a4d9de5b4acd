"""Nested, repeated, patient-grouped cross-validation of Cox models: out-of-fold risk scores, the
training folds' median risk (the risk-group cut), and a permutation null.

The outer folds are ``radiodeep.model.cv.outer_splits`` stratified by the event indicator; each
training part tunes the penalty in its own inner CV (``fit_tuned_cox``), so nothing of a test
patient is seen while fitting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from radiodeep.evaluate.survival_metrics import harrell_c
from radiodeep.model.cv import outer_splits
from radiodeep.model.survival import fit_tuned_cox, selected_features

log = logging.getLogger(__name__)


def fit_and_risk(make_model: Callable, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, train, test,
                 inner_splits: int, seed: int) -> tuple[np.ndarray, float, list[str]]:
    """Fit on ``train`` (tuned inside it); return the test part's risk, the median risk of the
    training part (the fold's high/low cut) and the features with a non-zero coefficient."""
    model = fit_tuned_cox(make_model(), X.iloc[train], y[train], groups[train], inner_splits, seed)
    cut = float(np.median(model.predict(X.iloc[train])))
    return model.predict(X.iloc[test]), cut, selected_features(model)


def cross_validated_risk(X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, case_ids: pd.Series, make_model: Callable,
                         n_splits: int = 5, n_repeats: int = 3, inner_splits: int = 3, seed: int = 0,
                         n_jobs: int = 1) -> pd.DataFrame:
    """Out-of-fold risk of every case in every repeat.

    Returns:
        DataFrame with repeat, fold, case_id, patient_id, time, event, risk, cut (the training
        part's median risk), high (risk > cut), n_selected (non-zero coefficients of the fold's model).
    """
    splits = list(outer_splits(y["event"].astype(int), groups, n_splits, n_repeats, seed))
    results = Parallel(n_jobs=n_jobs)(
        delayed(fit_and_risk)(make_model, X, y, groups, train, test, inner_splits, seed + 1000 * repeat + fold)
        for repeat, fold, train, test in splits
    )
    rows = []
    for (repeat, fold, _, test), (risk, cut, kept) in zip(splits, results, strict=True):
        rows.append(pd.DataFrame({
            "repeat": repeat, "fold": fold, "case_id": case_ids.iloc[test].to_numpy(), "patient_id": groups[test],
            "time": y["time"][test], "event": y["event"][test].astype(int), "risk": risk, "cut": cut,
            "high": (risk > cut).astype(int), "n_selected": len(kept),
        }))
    log.info("%d repeat(s) x %d folds on %d cases (%d events) done", n_repeats, n_splits, len(y), int(y["event"].sum()))
    return pd.concat(rows, ignore_index=True)


def permute_outcomes(y: np.ndarray, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shuffle (time, event) pairs between patients: a patient's cases keep one shared outcome."""
    patients, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    if not np.array_equal(y[first][inverse], y):  # outcomes differ within a patient: shuffle cases
        return y[rng.permutation(len(y))]
    return y[first][rng.permutation(len(patients))][inverse]


def survival_permutation_null(X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, make_model: Callable,
                              n_permutations: int, n_splits: int = 5, inner_splits: int = 3, seed: int = 0,
                              n_jobs: int = 1) -> np.ndarray:
    """Null Harrell's C: (time, event) pairs shuffled between patients, the whole nested CV (one
    repeat, tuning included) refitted per permutation; all folds run as one batch."""
    rng = np.random.default_rng(seed + 7919)
    outcomes = [permute_outcomes(y, groups, rng) for _ in range(n_permutations)]
    tasks = [(i, fold, train, test) for i, y_perm in enumerate(outcomes)
             for _, fold, train, test in outer_splits(y_perm["event"].astype(int), groups, n_splits, 1, seed + 1 + i)]
    results = Parallel(n_jobs=n_jobs)(
        delayed(fit_and_risk)(make_model, X, outcomes[i], groups, train, test, inner_splits, seed + 1 + i + fold)
        for i, fold, train, test in tasks
    )
    risks = [np.full(len(y), np.nan) for _ in outcomes]
    for (i, _, _, test), (risk, _, _) in zip(tasks, results, strict=True):
        risks[i][test] = risk
    log.info("%d permutation(s) of the nested Cox CV done", n_permutations)
    return np.array([harrell_c(y_perm, r) for y_perm, r in zip(outcomes, risks, strict=True)])
