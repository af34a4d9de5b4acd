"""The default classifier (``auto``): an in-fold average of an L1-logistic regression (C by the
one-standard-error rule over a patient-grouped inner CV), a random forest and shallow gradient
boosting (xgboost, depth 2), class-weighted where the estimator supports it.

Why these: on radiomics tables (50-300 cases, 100-1,300 correlated features) a sparse linear
model and tree ensembles are the families that win most often, and they win on different tables
(an L1 model where few features carry a linear signal, trees where many weak or non-linear ones
do). Averaging their probabilities, fitted on the same training data, is rarely far below the
best of them; picking one by inner-CV AUC on 40-200 cases is noisier than averaging. The L1
member's C is the sparsest within one standard error of the best inner AUC: on a table without
signal it keeps few or no features (none: a constant score that leaves the trees' ranking
alone) instead of adding a model fitted to noise, which pulled the previous two-member average below the forest
alone on weak-signal tables (bench/radmlbench.py, README "The auto model").

Everything here is fitted on the data ``fit`` receives (an outer training fold), so the outer
CV reports the whole procedure.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted

if TYPE_CHECKING:
    import pandas as pd

C_GRID = tuple(np.logspace(-2, 1, 10))  # L1 strength: 0.01 (nothing kept) .. 10 (little shrinkage)


def group_fit_params(estimator, groups) -> dict:
    """Fit keyword arguments that pass ``groups`` to an estimator (or a Pipeline's last step)
    whose ``fit`` takes them, so its inner CV stays patient-grouped; {} otherwise."""
    if groups is None:
        return {}
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        return {f"{name}__{k}": v for k, v in group_fit_params(last, groups).items()}
    return {"groups": groups} if "groups" in inspect.signature(estimator.fit).parameters else {}


def inner_splits(y: np.ndarray, groups, n_splits: int, seed) -> list | None:
    """Stratified (patient-grouped when ``groups`` are given) inner folds, as many as the smaller
    class allows; None when fewer than 2 are possible."""
    from radiodeep.model.cv import inner_split_count

    n = inner_split_count(y, groups, n_splits)
    if n < 2:
        return None
    if groups is None:
        return list(StratifiedKFold(n, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    return list(StratifiedGroupKFold(n, shuffle=True, random_state=seed).split(np.zeros(len(y)), y, groups))


def one_se_c(scores: np.ndarray, cs) -> float:
    """The smallest C whose mean inner AUC is within one standard error of the best mean
    (``scores``: inner folds x Cs, any extra axes flattened)."""
    scores = scores.reshape(scores.shape[0], -1)
    mean = scores.mean(axis=0)
    se = scores.std(axis=0, ddof=1) / np.sqrt(scores.shape[0])
    best = int(np.argmax(mean))
    cs = np.asarray(cs, dtype=float)
    within = np.flatnonzero(mean >= mean[best] - se[best])
    return float(cs[within[np.argmin(cs[within])]])


class GroupedLogisticCV(ClassifierMixin, BaseEstimator):
    """Logistic regression with C chosen by AUC in a stratified, patient-grouped inner CV
    (``LogisticRegressionCV`` over precomputed grouped folds), then refitted on all data.

    Args:
        Cs: candidate inverse regularisation strengths.
        l1_ratio: 1.0 lasso, 0.0 ridge, in between elastic net.
        cv: inner folds (fewer when a class has fewer patients).
        class_weight: ``"balanced"`` weights classes by inverse frequency (few positives).
        random_state: seed of the inner folds and the solver.
        rule: ``"best"`` takes the C of the highest mean inner AUC; ``"1se"`` the smallest C (the
            sparsest model) whose mean inner AUC is within one standard error (over inner folds)
            of the best (glmnet's lambda.1se): on tables without signal it keeps few or no
            features instead of a model fitted to noise.
    """

    def __init__(self, Cs=C_GRID, l1_ratio: float = 1.0, cv: int = 3, class_weight=None, random_state=None, rule: str = "best"):
        self.Cs = Cs
        self.rule = rule
        self.l1_ratio = l1_ratio
        self.cv = cv
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        y = np.asarray(y)
        self.classes_ = unique_labels(y)
        solver = "liblinear" if self.l1_ratio in (0.0, 1.0) else "saga"
        common = {"solver": solver, "class_weight": self.class_weight, "max_iter": 5000, "random_state": self.random_state}
        splits = inner_splits(y, groups, self.cv, self.random_state)
        if splits is None:  # too few patients of a class to tune: the middle of the grid
            c = float(self.Cs[len(self.Cs) // 2])
            self.model_ = LogisticRegression(C=c, l1_ratio=self.l1_ratio, **common).fit(X, y)
            self.C_ = c
        else:
            self.model_ = LogisticRegressionCV(Cs=list(self.Cs), l1_ratios=(self.l1_ratio,), cv=splits,
                                               scoring="roc_auc", use_legacy_attributes=False, **common).fit(X, y)
            self.C_ = float(np.ravel(self.model_.C_)[0])
            self.inner_cv_ = self.model_  # inner AUCs in scores_ (folds x l1_ratios x Cs)
            if self.rule == "1se":
                self.C_ = one_se_c(np.asarray(self.model_.scores_), self.model_.Cs_)
                self.model_ = LogisticRegression(C=self.C_, l1_ratio=self.l1_ratio, **common).fit(X, y)
        self.coef_, self.intercept_ = self.model_.coef_, self.model_.intercept_
        self.n_features_in_ = self.model_.n_features_in_
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        return self.model_.predict_proba(X)

    def decision_function(self, X):
        check_is_fitted(self)
        return self.model_.decision_function(X)

    def predict(self, X):
        return self.model_.predict(X)


class AveragingEnsemble(ClassifierMixin, BaseEstimator):
    """Mean of the members' predicted probabilities; every member is fitted on the same data
    (members whose ``fit`` takes ``groups`` receive them).

    Args:
        estimators: list of (name, classifier with ``predict_proba``).
    """

    def __init__(self, estimators=None):
        self.estimators = estimators

    def fit(self, X, y, groups=None):
        y = np.asarray(y)
        self.classes_ = unique_labels(y)
        self.estimators_ = [clone(est).fit(X, y, **group_fit_params(est, groups)) for _, est in self.estimators]
        self.named_estimators_ = {name: est for (name, _), est in zip(self.estimators, self.estimators_, strict=True)}
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        return np.mean([est.predict_proba(X) for est in self.estimators_], axis=0)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def members_average(oofs: list) -> pd.DataFrame:
    """The out-of-fold predictions of the average of members, from each member's own out-of-fold
    predictions (same folds and seeds): the mean of their scores, row by row."""
    first = oofs[0]
    for other in oofs[1:]:
        if not first[["repeat", "fold", "case_id"]].equals(other[["repeat", "fold", "case_id"]]):
            raise ValueError("members_average: the members' predictions are not on the same folds")
    return first.assign(score=np.mean([o["score"].to_numpy() for o in oofs], axis=0))


def default_ensemble(seed: int = 0, inner_folds: int = 3, n_trees: int = 300) -> AveragingEnsemble:
    """The ``auto`` classifier: L1-logistic (C by the one-standard-error rule, class-balanced),
    class-balanced random forest and shallow gradient boosting (200 trees of depth 2)."""
    from sklearn.ensemble import RandomForestClassifier
    from xgboost import XGBClassifier

    return AveragingEnsemble([
        ("l1_logistic", GroupedLogisticCV(cv=inner_folds, class_weight="balanced", random_state=seed, rule="1se")),
        ("random_forest", RandomForestClassifier(n_trees, max_features="sqrt", class_weight="balanced_subsample",
                                                 random_state=seed, n_jobs=1)),
        ("boosting", XGBClassifier(n_estimators=200, max_depth=2, learning_rate=0.05, subsample=0.8, colsample_bytree=0.5,
                                   random_state=seed, n_jobs=1, eval_metric="logloss", verbosity=0)),
    ])
