"""Repeated, stratified, patient-grouped cross-validation with hyperparameters tuned in an inner CV.

The outer folds never see their test patients during fitting: imputation, filtering, scaling,
selection and tuning are steps of the pipeline handed to ``GridSearchCV`` on the training part.
The decision threshold of each fold (Youden's J) is chosen on inner out-of-fold predictions of
that fold's training part.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_val_predict

from radiodeep.evaluate.metrics import youden_threshold
from radiodeep.model.ensemble import group_fit_params

log = logging.getLogger(__name__)


def outer_splits(y: np.ndarray, groups: np.ndarray, n_splits: int, n_repeats: int, seed: int) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """Yield (repeat, fold, train_idx, test_idx); no patient is on both sides of a split."""
    for repeat in range(n_repeats):
        cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed + repeat)
        for fold, (train, test) in enumerate(cv.split(np.zeros(len(y)), y, groups)):
            yield repeat, fold, train, test


def fit_tuned(pipeline, grid: dict, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, inner_splits: int, seed: int):
    """Fit ``pipeline`` with ``grid`` tuned by AUC in an inner patient-grouped CV; return the refit best.

    Without a grid the estimator is fitted as is (receiving ``groups`` if its ``fit`` takes them,
    as late fusion's inner out-of-fold step does).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="k=.*is greater than n_features")
        if not grid:
            return clone(pipeline).fit(X, y, **group_fit_params(pipeline, groups))
        # inner folds are patient-grouped: each class needs a patient in every inner fold
        n_inner = inner_split_count(y, groups, inner_splits)
        if n_inner < 2:
            log.warning("fewer than 2 patients of a class in this training part: no inner tuning, "
                        "the grid's first setting is used")
            first = {k: v[0] for k, v in grid.items()}
            return clone(pipeline).set_params(**first).fit(X, y)
        search = GridSearchCV(
            clone(pipeline), grid, scoring="roc_auc",
            cv=StratifiedGroupKFold(n_splits=n_inner, shuffle=True, random_state=seed), refit=True, n_jobs=1,
        )
        search.fit(X, y, groups=groups, **group_fit_params(pipeline, groups))
        return search.best_estimator_


def fit_and_score(make_model, X, y, groups, train, test, inner_splits, seed, threshold: bool = True,
                  importance: bool = False) -> tuple:
    """Fit on ``train`` (tuned inside it), return test-fold scores, the training-chosen threshold
    (NaN when ``threshold`` is False) and, with ``importance``, the fold model's feature
    importance table (``radiodeep.model.importance.fold_importance``, on the test fold)."""
    pipeline, grid = make_model()
    model = fit_tuned(pipeline, grid, X.iloc[train], y[train], groups[train], inner_splits, seed)
    cut = training_threshold(model, X.iloc[train], y[train], groups[train], inner_splits, seed) if threshold else np.nan
    score = model.predict_proba(X.iloc[test])[:, 1]
    if not importance:
        return score, cut
    from radiodeep.model.importance import fold_importance

    return score, cut, fold_importance(model, X.iloc[test], y[test], seed)


def inner_split_count(y: np.ndarray, groups: np.ndarray | None, inner_splits: int) -> int:
    """Inner folds that a patient-grouped split can fill with both classes: at most the number of
    patients (cases when ``groups`` is None) of the smaller class; below 2 no inner CV is possible."""
    y = np.asarray(y)
    units = groups if groups is not None else np.arange(len(y))
    per_class = min(len(np.unique(np.asarray(units)[y == c])) for c in (0, 1))
    return min(inner_splits, per_class)


def training_threshold(model, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, inner_splits: int, seed: int) -> float:
    """Youden's J threshold of the tuned model's inner out-of-fold probabilities on its training data
    (in-sample probabilities would be overconfident and push the threshold up)."""
    n_inner = inner_split_count(y, groups, inner_splits)
    if n_inner < 2:
        log.warning("fewer than 2 patients of a class in this training part: threshold 0.5")
        return 0.5
    cv = StratifiedGroupKFold(n_splits=n_inner, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="k=.*is greater than n_features")
        prob = cross_val_predict(clone(model), X, y, groups=groups, cv=cv, method="predict_proba",
                                 params=group_fit_params(model, groups))[:, 1]
    return youden_threshold(y, prob)


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
    n_jobs: int = 1,
    importance: bool = False,
    threshold: bool = True,
):
    """Out-of-fold probabilities for every case in every repeat (folds run in ``n_jobs`` processes).

    Returns:
        DataFrame with repeat, fold, case_id, patient_id, label, score, threshold (Youden's J
        threshold chosen on that fold's training predictions; NaN without ``threshold``, which
        saves the threshold's inner refits); with ``importance``, also a
        DataFrame of every outer-fold model's importances (repeat, fold, feature, importance,
        importance_kind).
    """
    splits = list(outer_splits(y, groups, n_splits, n_repeats, seed))
    results = Parallel(n_jobs=n_jobs)(
        delayed(fit_and_score)(make_model, X, y, groups, train, test, inner_splits, seed + 1000 * repeat + fold, threshold, importance)
        for repeat, fold, train, test in splits
    )
    rows, importances = [], []
    for (repeat, fold, _train, test), result in zip(splits, results, strict=False):
        score, cut = result[:2]
        rows.append(pd.DataFrame({
            "repeat": repeat, "fold": fold, "case_id": case_ids.iloc[test].to_numpy(),
            "patient_id": groups[test], "label": y[test], "score": score, "threshold": cut,
        }))
        if importance:
            importances.append(result[2].assign(repeat=repeat, fold=fold))
    log.info("%d repeat(s) x %d folds on %d cases done", n_repeats, n_splits, len(y))
    oof = pd.concat(rows, ignore_index=True)
    return (oof, pd.concat(importances, ignore_index=True)) if importance else oof


def permute_labels(y: np.ndarray, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shuffle outcomes between patients (a patient's cases move together when they share a label)."""
    patients, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    per_patient = y[first]
    if not np.array_equal(per_patient[inverse], y):  # labels differ within a patient: shuffle cases
        return rng.permutation(y)
    return rng.permutation(per_patient)[inverse]


def permutation_null(X, y, groups, case_ids, make_model, n_permutations: int, n_splits: int = 5,
                     inner_splits: int = 3, seed: int = 0, n_jobs: int = 1) -> np.ndarray:
    """Null AUCs: labels shuffled between patients, the whole nested CV (one repeat, tuning
    included, no threshold step) refitted for each permutation; all folds of all permutations
    run as one batch of ``n_jobs`` processes."""
    rng = np.random.default_rng(seed + 7919)
    labels = [permute_labels(y, groups, rng) for _ in range(n_permutations)]
    tasks = [(i, fold, train, test) for i, y_perm in enumerate(labels)
             for _, fold, train, test in outer_splits(y_perm, groups, n_splits, 1, seed + 1 + i)]
    results = Parallel(n_jobs=n_jobs)(
        delayed(fit_and_score)(make_model, X, labels[i], groups, train, test, inner_splits, seed + 1 + i + fold, False)
        for i, fold, train, test in tasks
    )
    scores = [np.full(len(y), np.nan) for _ in labels]
    for (i, _, _, test), (score, _) in zip(tasks, results, strict=False):
        scores[i][test] = score
    log.info("%d permutation(s) of the nested CV done", n_permutations)
    return np.asarray([roc_auc_score(y_perm, s) for y_perm, s in zip(labels, scores, strict=False)])
