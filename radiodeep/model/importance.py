"""What drives each model: per outer-fold model, the features it uses and their importance,
aggregated over folds and repeats into ``importance.csv``.

- Linear models (a logistic regression last in the pipeline): the selected features are those
  with a non-zero coefficient; importance is the coefficient on the standardised scale
  (``importance_kind`` = ``coefficient``).
- Every other model: permutation importance on that fold's held-out cases, the drop in AUC when
  one input column is shuffled (mean of a few shuffles; ``permutation``), for the features the
  model uses: non-zero coefficients of linear members, the top features by impurity importance
  of tree models, the output of a selection step, or every column.

Importance of a cross-validated model describes the fitted models, not causes: correlated
features share or trade importance between folds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from radiodeep.model.ensemble import AveragingEnsemble
from radiodeep.model.fusion import LateFusionClassifier

TOP_TREE_FEATURES = 10  # per tree model, features ranked by impurity importance that get a permutation score
PERMUTATION_REPEATS = 5
IMPORTANCE_COLUMNS = ["feature_set", "classifier", "feature", "selection_frequency", "importance_median",
                      "importance_q1", "importance_q3", "importance_kind", "n_models"]


def _input_names(pipe: Pipeline, names: list[str]) -> list[str]:
    """Column names reaching the last step of ``pipe`` (``names`` are the pipeline's inputs)."""
    if len(pipe.steps) == 1:
        return list(names)
    return [str(n) for n in pipe[:-1].get_feature_names_out(names)]


def _linear_coefficients(clf) -> np.ndarray | None:
    coef = getattr(clf, "coef_", None)
    if coef is None or not hasattr(clf, "predict_proba"):
        return None
    return np.ravel(coef)


def used_features(model, names: list[str]) -> list[str]:
    """Input columns a fitted model depends on most (see the module docstring)."""
    if isinstance(model, Pipeline):
        inner = _input_names(model, names)
        return used_features(model.steps[-1][1], inner)
    coef = _linear_coefficients(model)
    if coef is not None:
        return [n for n, c in zip(names, coef, strict=True) if c != 0]
    if isinstance(model, AveragingEnsemble | LateFusionClassifier):
        used: list[str] = []
        for member in model.estimators_:
            used += [f for f in used_features(member, names) if f not in used]
        return used
    ranking = getattr(model, "feature_importances_", None)
    if ranking is not None:
        top = np.argsort(-np.asarray(ranking), kind="stable")[:TOP_TREE_FEATURES]
        return [names[i] for i in top if ranking[i] > 0]
    return list(names)


def linear_importance(model, names: list[str]) -> pd.DataFrame | None:
    """(feature, importance) of a pipeline ending in a linear classifier, or None for other models."""
    if not isinstance(model, Pipeline):
        return None
    coef = _linear_coefficients(model.steps[-1][1])
    if coef is None:
        return None
    inner = _input_names(model, names)
    table = pd.DataFrame({"feature": inner, "importance": coef})
    return table[table["importance"] != 0].reset_index(drop=True)


def permutation_importance_on(model, X: pd.DataFrame, y: np.ndarray, features: list[str], seed: int = 0,
                              n_repeats: int = PERMUTATION_REPEATS, max_cells: int = 5_000_000) -> pd.DataFrame:
    """AUC drop on (X, y) when each of ``features`` is shuffled (mean over ``n_repeats`` shuffles).
    The shuffled copies of several features are scored in one ``predict_proba`` call (at most
    ``max_cells`` values at once): on small folds the per-call overhead of a forest dominates."""
    base = roc_auc_score(y, model.predict_proba(X)[:, 1])
    rng = np.random.default_rng(seed)
    per_call = max(1, max_cells // max(X.size * n_repeats, 1))
    rows = []
    for start in range(0, len(features), per_call):
        chunk = features[start:start + per_call]
        blocks = []
        for feature in chunk:
            block = pd.concat([X] * n_repeats, ignore_index=True)
            block[feature] = np.concatenate([rng.permutation(X[feature].to_numpy()) for _ in range(n_repeats)])
            blocks.append(block)
        scores = model.predict_proba(pd.concat(blocks, ignore_index=True))[:, 1].reshape(len(chunk), n_repeats, len(X))
        for feature, score in zip(chunk, scores, strict=True):
            rows.append({"feature": feature, "importance": float(base - np.mean([roc_auc_score(y, s) for s in score]))})
    return pd.DataFrame(rows, columns=["feature", "importance"])


def fold_importance(model, X_test: pd.DataFrame, y_test: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Importance table of one outer-fold model: feature, importance, importance_kind."""
    names = [str(c) for c in X_test.columns]
    linear = linear_importance(model, names)
    if linear is not None:
        return linear.assign(importance_kind="coefficient")
    if len(np.unique(y_test)) < 2:
        return pd.DataFrame(columns=["feature", "importance", "importance_kind"])
    table = permutation_importance_on(model, X_test, y_test, used_features(model, names), seed)
    return table.assign(importance_kind="permutation")


def aggregate_importance(per_fold: pd.DataFrame) -> pd.DataFrame:
    """Selection frequency and median importance (with IQR) over outer-fold models.

    ``per_fold`` has feature_set, classifier, repeat, fold, feature, importance, importance_kind.
    A model that did not use a feature counts as importance 0, so the median describes all
    models, not only those that kept the feature.
    """
    if per_fold.empty:
        return pd.DataFrame(columns=IMPORTANCE_COLUMNS)
    rows = []
    for (fs, clf), group in per_fold.groupby(["feature_set", "classifier"], sort=False):
        n_models = group[["repeat", "fold"]].drop_duplicates().shape[0]
        for feature, g in group.groupby("feature", sort=False):
            values = np.concatenate([g["importance"].to_numpy(float), np.zeros(n_models - len(g))])
            q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
            rows.append({"feature_set": fs, "classifier": clf, "feature": feature, "selection_frequency": len(g) / n_models,
                         "importance_median": median, "importance_q1": q1, "importance_q3": q3,
                         "importance_kind": g["importance_kind"].iloc[0], "n_models": n_models})
    table = pd.DataFrame(rows, columns=IMPORTANCE_COLUMNS)
    # a coefficient matters by its size; a permutation importance below 0 is noise, not importance
    strength = table["importance_median"].where(table["importance_kind"] == "permutation", table["importance_median"].abs())
    order = table.assign(_strength=strength).sort_values(
        ["feature_set", "classifier", "selection_frequency", "_strength"], ascending=[True, True, False, False], kind="stable")
    return order.drop(columns="_strength").reset_index(drop=True)
