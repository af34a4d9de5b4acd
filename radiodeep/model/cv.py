"""Repeated, stratified, patient-grouped cross-validation with hyperparameters tuned in an inner CV.

The outer folds never see their test patients during fitting: imputation, filtering, scaling,
selection and tuning are steps of the pipeline handed to ``GridSearchCV`` on the training part.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold

log = logging.getLogger(__name__)


def outer_splits(y: np.ndarray, groups: np.ndarray, n_splits: int, n_repeats: int, seed: int) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """Yield (repeat, fold, train_idx, test_idx); no patient is on both sides of a split."""
    for repeat in range(n_repeats):
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed + repeat)
        for fold, (train, test) in enumerate(cv.split(np.zeros(len(y)), y, groups)):
            yield repeat, fold, train, test


def fit_tuned(pipeline, grid: dict, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, inner_splits: int, seed: int):
    """Fit ``pipeline`` with ``grid`` tuned by AUC in an inner patient-grouped CV; return the refit best."""
    if not grid:
        return clone(pipeline).fit(X, y)
    n_inner = max(2, min(inner_splits, int(np.bincount(y).min())))
    search = GridSearchCV(
        clone(pipeline), grid, scoring="roc_auc",
        cv=StratifiedGroupKFold(n_splits=n_inner, shuffle=True, random_state=seed), refit=True, n_jobs=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y, groups=groups)
    return search.best_estimator_


def cross_validated_predictions(
    X: pd.DataFrame,
    y: np.ndarray,
    groups: np.ndarray,
    case_ids: pd.Series,
    make_model: Callable[[], tuple[object, dict]],
    n_splits: int = 5,
    n_repeats: int = 5,
    inner_splits: int = 3,
    seed: int = 0,
) -> pd.DataFrame:
    """Out-of-fold probabilities for every case in every repeat.

    Returns:
        DataFrame with repeat, fold, case_id, patient_id, label, score.
    """
    rows = []
    for repeat, fold, train, test in outer_splits(y, groups, n_splits, n_repeats, seed):
        pipeline, grid = make_model()
        model = fit_tuned(pipeline, grid, X.iloc[train], y[train], groups[train], inner_splits, seed + 1000 * repeat + fold)
        score = model.predict_proba(X.iloc[test])[:, 1]
        rows.append(pd.DataFrame({
            "repeat": repeat, "fold": fold, "case_id": case_ids.iloc[test].to_numpy(),
            "patient_id": groups[test], "label": y[test], "score": score,
        }))
        log.info("repeat %d fold %d: trained on %d, scored %d", repeat, fold, len(train), len(test))
    return pd.concat(rows, ignore_index=True)
