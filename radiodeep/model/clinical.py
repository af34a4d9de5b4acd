"""Clinical covariates as model features: categorical columns one-hot encoded inside the folds.

``ClinicalEncoder`` is a scikit-learn transformer, so it is a pipeline step like any other and
learns its categories from the training part only: a level seen in the test part but not in
training gets all-zero indicators, and levels rarer than ``min_frequency`` in the training part
are pooled into one ``<column>_infrequent`` indicator. Missing categorical values are a level of
their own (``<column>_missing``); numeric columns pass through as float (imputed downstream).

Example:
    >>> import pandas as pd
    >>> X = pd.DataFrame({"age": [50, 61, 70, 44], "grade": ["High", "Low", "High", None]})
    >>> enc = ClinicalEncoder(categorical=["grade"], min_frequency=1).fit(X)
    >>> list(enc.get_feature_names_out())
    ['age', 'grade_High', 'grade_Low', 'grade_missing']
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.validation import check_is_fitted, validate_data

MISSING = "missing"


def _safe_name(column: str, category) -> str:
    """``<column>_<level>`` with every character outside letters, digits, '.' and '_' as '_'
    (legal and readable in R and pandas)."""
    level = "infrequent" if str(category) == "infrequent_sklearn" else str(category)
    return re.sub(r"[^A-Za-z0-9._]+", "_", f"{column}_{level}").strip("_")


class ClinicalEncoder(TransformerMixin, BaseEstimator):
    """One-hot encode categorical clinical columns, pass numeric ones through.

    Args:
        categorical: columns to encode; None encodes every non-numeric column of the data ``fit``
            receives (none for a plain numeric array).
        min_frequency: levels with fewer training cases than this are pooled into
            ``<column>_infrequent``.
        drop_binary: a column with two levels gives one indicator (the second level), not two.
    """

    def __init__(self, categorical=None, min_frequency: int = 3, drop_binary: bool = True):
        self.categorical = categorical
        self.min_frequency = min_frequency
        self.drop_binary = drop_binary

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    def _frame(self, X, reset: bool) -> pd.DataFrame:
        """DataFrames keep their dtypes (text columns are what this encodes); arrays are checked."""
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, skip_check_array=True, reset=reset)
            if X.shape[0] == 0:
                raise ValueError("ClinicalEncoder: 0 rows")
            return X
        return pd.DataFrame(validate_data(self, X, ensure_all_finite="allow-nan", reset=reset))

    def fit(self, X, y=None):
        frame = self._frame(X, reset=True)
        if self.categorical is None:
            cats = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        else:
            absent = [c for c in self.categorical if c not in frame.columns]
            if absent:
                raise ValueError(f"categorical column(s) {absent} not in the data (columns: {list(frame.columns)})")
            cats = list(self.categorical)
        self.categorical_ = cats
        self.numeric_ = [c for c in frame.columns if c not in cats]
        for c in self.numeric_:
            values = pd.to_numeric(frame[c], errors="coerce")
            text = values.isna() & frame[c].notna()
            if text.any():
                raise ValueError(f"column {c!r} is not categorical but holds text ({frame[c][text].iloc[0]!r}); "
                                 "list it in categorical or fix the value")
        if cats:
            self.encoder_ = OneHotEncoder(
                handle_unknown="infrequent_if_exist", min_frequency=self.min_frequency,
                drop="if_binary" if self.drop_binary else None, sparse_output=False, dtype=np.float64,
                feature_name_combiner=_safe_name,
            ).fit(self._levels(frame))
        return self

    def _levels(self, frame: pd.DataFrame) -> pd.DataFrame:
        levels = frame[self.categorical_].astype("object")
        return levels.where(levels.notna(), MISSING).astype(str)

    def transform(self, X):
        check_is_fitted(self, "categorical_")
        frame = self._frame(X, reset=False)
        parts = [frame[self.numeric_].apply(pd.to_numeric, errors="raise").to_numpy(dtype=np.float64)]
        if self.categorical_:
            with warnings.catch_warnings():  # a level unseen in training: the documented all-zero / infrequent code
                warnings.filterwarnings("ignore", message="Found unknown categories")
                parts.append(self.encoder_.transform(self._levels(frame)))
        return np.hstack(parts)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "categorical_")
        names = [str(c) if isinstance(c, str) else f"x{c}" for c in self.numeric_]
        if self.categorical_:
            names += list(self.encoder_.get_feature_names_out([str(c) for c in self.categorical_]))
        return np.asarray(names, dtype=object)
