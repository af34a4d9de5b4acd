"""Late fusion: one model per feature source, stacked by a logistic regression on the sources'
out-of-fold probabilities, computed inside the data ``fit`` receives (the outer training fold)
only.

Early fusion needs no class: it is a ``ColumnTransformer`` with one preprocessing branch per
source feeding one selector and classifier (``radiodeep.model.pipelines``).
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.special import logit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from radiodeep.model.cv import inner_split_count
from radiodeep.model.ensemble import group_fit_params

log = logging.getLogger(__name__)


class LateFusionClassifier(ClassifierMixin, BaseEstimator):
    """Stack per-source classifiers on their out-of-fold probabilities.

    ``fit`` computes each base estimator's out-of-fold probability on its own training data
    (``cv`` folds, patient-grouped when ``groups`` are given), fits the meta logistic regression on
    logit(probabilities), then refits every base estimator on all of its training data. Each
    base estimator selects its own columns (e.g. a Pipeline starting with a ColumnTransformer).

    Args:
        estimators: list of (name, estimator) with ``predict_proba``.
        cv: number of inner folds for the out-of-fold probabilities.
        C: inverse L2 strength of the meta logistic regression.
        random_state: seed of the inner folds.
    """

    def __init__(self, estimators=None, cv: int = 3, C: float = 1.0, random_state: int | None = None):
        self.estimators = estimators
        self.cv = cv
        self.C = C
        self.random_state = random_state

    def _bases(self):
        return self.estimators or [("lr", LogisticRegression())]

    def _meta_features(self, probas: list[np.ndarray]) -> np.ndarray:
        return logit(np.clip(np.column_stack(probas), 1e-6, 1 - 1e-6))

    def fit(self, X, y, groups=None):
        validate_data(self, X, skip_check_array=True)
        y = np.asarray(y)
        self.classes_ = unique_labels(y)
        if len(self.classes_) != 2:
            raise ValueError(f"LateFusionClassifier is binary; got {len(self.classes_)} class(es)")
        y01 = (y == self.classes_[1]).astype(int)
        self.estimators_ = [clone(est).fit(X, y01, **group_fit_params(est, groups)) for _, est in self._bases()]
        n_splits = inner_split_count(y01, groups, self.cv)
        if n_splits < 2:  # too few patients of a class for out-of-fold stacking: in-sample, logged
            log.warning("late fusion: fewer than 2 patients of a class; meta-learner fitted in-sample")
            oof = [est.predict_proba(X)[:, 1] for est in self.estimators_]
        else:
            if groups is None:
                splitter = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
            else:
                splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=self.random_state)
            oof = [cross_val_predict(clone(est), X, y01, groups=groups, cv=splitter, method="predict_proba",
                                     params=group_fit_params(est, groups))[:, 1]
                   for _, est in self._bases()]
        self.meta_ = LogisticRegression(C=self.C).fit(self._meta_features(oof), y01)
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        validate_data(self, X, skip_check_array=True, reset=False)
        probas = [est.predict_proba(X)[:, 1] for est in self.estimators_]
        return self.meta_.predict_proba(self._meta_features(probas))

    def decision_function(self, X):
        return logit(np.clip(self.predict_proba(X)[:, 1], 1e-12, 1 - 1e-12))

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    @property
    def source_weights_(self) -> dict[str, float]:
        """Meta-model coefficient per source (on the logit scale)."""
        check_is_fitted(self)
        return {name: float(c) for (name, _), c in zip(self._bases(), self.meta_.coef_[0], strict=False)}
