"""Penalised Cox models (scikit-survival's ``CoxnetSurvivalAnalysis``) as scikit-learn pipelines,
with the penalty tuned in an inner patient-grouped CV and features selected inside the folds.

Per imaging source: median imputation -> near-zero-variance filter -> correlation filter ->
standard scaling -> ``UnivariateCoxSelector`` (the ``n_select`` features whose own Harrell's C is
farthest from 0.5 on the training part). Clinical covariates: ``ClinicalEncoder`` (categories
one-hot encoded on the training part) -> the same filters and scaling, never selected away, so
"clinical + imaging" always holds the clinical model. The sources meet in a ``ColumnTransformer``
feeding an elastic-net Cox model.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_selection import SelectorMixin
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from radiodeep.evaluate.survival_metrics import harrell_c_columns
from radiodeep.model.clinical import ClinicalEncoder
from radiodeep.model.pipelines import preprocessing_steps

log = logging.getLogger(__name__)
CLINICAL = "clinical"


def surv(time, event) -> np.ndarray:
    """scikit-survival's structured outcome (event: bool, time: float)."""
    from sksurv.util import Surv

    return Surv.from_arrays(np.asarray(event).astype(bool), np.asarray(time, dtype=float), name_event="event", name_time="time")


class UnivariateCoxSelector(SelectorMixin, BaseEstimator):
    """Keep the ``k`` features whose univariate Harrell's C is farthest from 0.5 (ties: first)."""

    def __init__(self, k: int = 10):
        self.k = k

    def fit(self, X, y):
        X = validate_data(self, X, ensure_all_finite="allow-nan")
        self.scores_ = np.nan_to_num(np.abs(harrell_c_columns(y["event"], y["time"], np.nan_to_num(X)) - 0.5))
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "scores_")
        keep = np.zeros(len(self.scores_), dtype=bool)
        keep[np.argsort(-self.scores_, kind="stable")[: min(self.k, len(self.scores_))]] = True
        return keep


def survival_pipeline(sources: Mapping[str, Sequence[str]], categorical: Sequence[str] = (), n_select: int = 10,
                      l1_ratio: float = 0.5, correlation_threshold: float = 0.95, n_alphas: int = 20) -> Pipeline:
    """The Cox pipeline over ``sources`` (name -> columns; the ``clinical`` source is encoded, not selected)."""
    from sksurv.linear_model import CoxnetSurvivalAnalysis

    branches = []
    for name, cols in sources.items():
        steps = preprocessing_steps(correlation_threshold=correlation_threshold)
        if name == CLINICAL:
            steps = [("encode", ClinicalEncoder(categorical=[c for c in categorical if c in cols]))] + steps
        else:
            steps = steps + [("select", UnivariateCoxSelector(n_select))]
        branches.append((name, Pipeline(steps), list(cols)))
    coxnet = CoxnetSurvivalAnalysis(l1_ratio=l1_ratio, n_alphas=n_alphas, alpha_min_ratio=0.05, max_iter=100000)
    return Pipeline([("preprocess", ColumnTransformer(branches, verbose_feature_names_out=False)), ("coxnet", coxnet)])


def inner_folds(event: np.ndarray, groups: np.ndarray, inner_splits: int) -> int:
    """Inner folds that keep an event and a censored patient in each: at most the smaller count."""
    per_class = min(len(np.unique(groups[event == c])) for c in (False, True))
    return min(inner_splits, per_class)


def _fit(pipeline: Pipeline, X: pd.DataFrame, y: np.ndarray) -> Pipeline:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message=".*(converge|divide|invalid value|all coefficients are zero).*")
        return pipeline.fit(X, y)


def _path_scores(pipeline: Pipeline, X: pd.DataFrame, y: np.ndarray, alphas: np.ndarray, train, test) -> np.ndarray:
    """Harrell's C on ``test`` of every alpha of the path fitted on ``train`` (NaN where it failed)."""
    try:
        fitted = _fit(clone(pipeline).set_params(coxnet__alphas=alphas), X.iloc[train], y[train])
    except (ArithmeticError, ValueError) as exc:  # too small a penalty for this fold
        log.debug("inner fold failed: %s", exc)
        return np.full(len(alphas), np.nan)
    if not y[test]["event"].any():
        return np.full(len(alphas), np.nan)
    risk = np.asarray(fitted[:-1].transform(X.iloc[test]), dtype=float) @ fitted[-1].coef_  # one column per alpha
    out = np.full(len(alphas), np.nan)  # the solver may end a fold's path early: the alphas it reached
    out[: risk.shape[1]] = harrell_c_columns(y[test]["event"], y[test]["time"], risk)
    return out


def fit_tuned_cox(pipeline: Pipeline, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, inner_splits: int = 3,
                  seed: int = 0) -> Pipeline:
    """Fit the Cox pipeline with its penalty chosen by Harrell's C in an inner patient-grouped CV
    (stratified by event) on the data it is given; return it refitted there, ending at that penalty.

    The penalty path comes from a first fit on all of the given data; each inner fold fits that
    whole path once and scores every alpha on its held-out patients.
    """
    full = _fit(clone(pipeline), X, y)
    alphas = np.asarray(full[-1].alphas_)
    n_inner = inner_folds(y["event"], groups, inner_splits)
    if n_inner < 2:
        log.warning("fewer than 2 patients with (or without) an event in this training part: "
                    "no inner tuning, the path's last penalty is used")
        return full
    cv = StratifiedGroupKFold(n_splits=n_inner, shuffle=True, random_state=seed)
    scores = np.vstack([_path_scores(pipeline, X, y, alphas, tr, te) for tr, te in cv.split(X, y["event"], groups)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        mean = np.nanmean(scores, axis=0)
    if np.all(np.isnan(mean)):
        return full
    best = int(np.nanargmax(mean))  # first (largest) penalty among ties: the sparser model
    return _end_path(full, best)


def _end_path(model: Pipeline, k: int) -> Pipeline:
    """End the fitted penalty path at its k-th alpha, so ``predict`` uses that penalty: the same
    model as a refit along alphas[:k + 1] (the path is computed from the largest alpha down)."""
    coxnet = model[-1]
    coxnet.alphas_, coxnet.coef_ = coxnet.alphas_[: k + 1], coxnet.coef_[:, : k + 1]
    coxnet.offset_, coxnet.deviance_ratio_ = coxnet.offset_[: k + 1], coxnet.deviance_ratio_[: k + 1]
    return model


def selected_features(model: Pipeline) -> list[str]:
    """Names of the features with a non-zero coefficient at the model's penalty."""
    coef = model[-1].coef_[:, -1]
    names = model[:-1].get_feature_names_out()
    return [str(n) for n, c in zip(names, coef, strict=True) if c != 0]
