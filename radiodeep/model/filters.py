"""Feature filters and selectors as scikit-learn transformers (fitted on training folds only).

- ``CorrelationFilter``: drops one feature of every pair with |Pearson r| above a threshold.
- ``StabilityFilter``: keeps features whose test-retest/segmentation ICC reaches a threshold.
- ``MRMRSelector``: minimum-redundancy maximum-relevance selection (F-statistic relevance,
  mean absolute Pearson correlation redundancy, the "FCQ" quotient of Ding & Peng 2005).

All keep pandas column names through ``get_feature_names_out`` (``SelectorMixin``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin, f_classif
from sklearn.utils.validation import check_is_fitted, validate_data


def _abs_corr(X: np.ndarray) -> np.ndarray:
    """|Pearson r| between columns; constant columns correlate 0 with everything."""
    Z = X - X.mean(axis=0)
    norm = np.sqrt((Z**2).sum(axis=0))
    norm[norm == 0] = np.inf
    Z = Z / norm
    return np.abs(Z.T @ Z)


class CorrelationFilter(SelectorMixin, BaseEstimator):
    """Drop redundant features: walking the columns in order, a feature is dropped when its
    |r| with an already kept feature exceeds ``threshold``.

    Args:
        threshold: |Pearson r| above which the later feature of a pair is dropped.

    Example:
        >>> X = np.array([[1., 2., 0.], [2., 4.1, 1.], [3., 6., 0.], [4., 8.2, 1.]])
        >>> CorrelationFilter(0.95).fit(X).get_support().tolist()
        [True, False, True]
    """

    def __init__(self, threshold: float = 0.95):
        self.threshold = threshold

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype="numeric")
        corr = _abs_corr(np.asarray(X, dtype=float))
        keep = np.ones(X.shape[1], dtype=bool)
        for j in range(X.shape[1]):
            if keep[j]:
                later = np.arange(j + 1, X.shape[1])
                keep[later[corr[j, later] > self.threshold]] = False
        self.support_ = keep
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_


class StabilityFilter(SelectorMixin, BaseEstimator):
    """Keep features whose ICC (from a stability study) is at least ``threshold``.

    Features without an ICC value are kept (they were not part of the stability study).

    Args:
        icc: feature name -> ICC; None keeps everything.
        threshold: minimum ICC (0.75 = "good" reliability, Koo & Li 2016).
    """

    def __init__(self, icc: Mapping[str, float] | None = None, threshold: float = 0.75):
        self.icc = icc
        self.threshold = threshold

    def fit(self, X, y=None):
        validate_data(self, X, dtype="numeric", ensure_all_finite="allow-nan")
        names = getattr(self, "feature_names_in_", None)
        if self.icc is None or names is None:
            self.support_ = np.ones(self.n_features_in_, dtype=bool)
        else:
            self.support_ = np.array([self.icc.get(n, np.inf) >= self.threshold for n in names])
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class MRMRSelector(SelectorMixin, BaseEstimator):
    """Greedy mRMR: at each step pick the feature maximising F(feature; y) / mean |r| with the
    features already selected (the first pick is the most relevant feature).

    Args:
        k: number of features to select (all if the input has fewer).

    Example:
        >>> rng = np.random.default_rng(0); y = np.arange(40) % 2
        >>> X = np.c_[y + rng.normal(0, .3, 40), y + rng.normal(0, .3, 40), rng.normal(size=40)]
        >>> MRMRSelector(k=1).fit(X, y).get_support().sum()
        np.int64(1)
    """

    def __init__(self, k: int = 10):
        self.k = k

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype="numeric")
        X = np.asarray(X, dtype=float)
        relevance, _ = f_classif(X, y)
        relevance = np.nan_to_num(relevance, nan=0.0)
        k = min(int(self.k), X.shape[1])
        Z = X - X.mean(axis=0)
        norm = np.sqrt((Z**2).sum(axis=0))
        norm[norm == 0] = np.inf
        Z = Z / norm
        selected = [int(np.argmax(relevance))]
        redundancy = np.zeros(X.shape[1])
        while len(selected) < k:
            redundancy += np.abs(Z.T @ Z[:, selected[-1]])
            score = relevance / np.maximum(redundancy / len(selected), 1e-12)
            score[selected] = -np.inf
            selected.append(int(np.argmax(score)))
        self.support_ = np.zeros(X.shape[1], dtype=bool)
        self.support_[selected] = True
        self.ranking_ = np.array(selected)
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_
