"""scikit-learn pipelines: every data-dependent step is a pipeline step, so it is fitted inside
the training folds only.

Per source: [ComBat by site] -> median imputation -> near-zero-variance
filter -> correlation filter -> standard scaling. Then feature selection (L1, mRMR, k-best or
none) and a classifier. Early fusion puts one such branch per source into a ``ColumnTransformer``;
late fusion stacks one full pipeline per source (``LateFusionClassifier``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import SelectFromModel, SelectKBest, VarianceThreshold, f_classif
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from radiodeep.model.combat import ComBat
from radiodeep.model.ensemble import GroupedLogisticCV, default_ensemble
from radiodeep.model.filters import CorrelationFilter, MRMRSelector
from radiodeep.model.fusion import LateFusionClassifier

CLASSIFIERS = ("auto", "elasticnet", "svm", "random_forest", "xgboost")
# plain scikit-learn models a user would fit by hand, run on the same outer folds for comparison
BASELINES = ("baseline_l1_logistic", "baseline_random_forest")
SELECTIONS = ("none", "l1", "mrmr", "kbest")


def _at_most(X, k: int) -> int:
    return min(k, X.shape[1])


def make_classifier(name: str, seed: int = 0, inner_folds: int = 3):
    """Return (classifier, small grid for the inner CV, keyed by the classifier's parameters)."""
    if name == "auto":
        return default_ensemble(seed, inner_folds), {}
    if name == "baseline_l1_logistic":
        return GroupedLogisticCV(cv=inner_folds, random_state=seed), {}
    if name == "baseline_random_forest":
        return RandomForestClassifier(n_estimators=300, random_state=seed, n_jobs=1), {}
    if name == "elasticnet":
        return LogisticRegression(l1_ratio=0.5, solver="saga", C=0.3, max_iter=5000, random_state=seed), {"C": [0.1, 1.0]}
    if name == "svm":
        svc = SVC(kernel="rbf", C=1.0, random_state=seed)  # Platt-scaled on internal folds
        return CalibratedClassifierCV(svc, ensemble=False, cv=3), {"estimator__C": [0.5, 2.0]}
    if name == "random_forest":
        return RandomForestClassifier(n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=1), {"max_depth": [3, None]}
    if name == "xgboost":
        from xgboost import XGBClassifier

        clf = XGBClassifier(n_estimators=100, max_depth=2, learning_rate=0.1, subsample=0.8, colsample_bytree=0.5,
                            random_state=seed, n_jobs=1, eval_metric="logloss", verbosity=0)
        return clf, {"max_depth": [2, 3]}
    raise ValueError(f"unknown classifier {name!r}; available: {CLASSIFIERS + BASELINES}")


def make_selector(selection: str, k: int, seed: int = 0):
    """Feature selector keeping at most ``k`` features (or None for ``none``)."""
    if selection == "none":
        return None
    if selection == "kbest":
        return SelectKBest(f_classif, k=k)
    if selection == "mrmr":
        return MRMRSelector(k=k)
    if selection == "l1":
        lasso = LogisticRegression(l1_ratio=1.0, solver="liblinear", C=0.5, random_state=seed)
        return SelectFromModel(lasso, threshold=-np.inf, max_features=functools.partial(_at_most, k=k))
    raise ValueError(f"unknown selection {selection!r}; available: {SELECTIONS}")


def preprocessing_steps(correlation_threshold: float = 0.95, combat: bool = False) -> list[tuple[str, object]]:
    """The per-source steps before selection."""
    steps: list[tuple[str, object]] = [("combat", ComBat("site"))] if combat else []
    steps += [
        ("impute", SimpleImputer(strategy="median", keep_empty_features=False)),
        ("variance", VarianceThreshold(1e-8)),
        ("correlation", CorrelationFilter(correlation_threshold)),
        ("scale", StandardScaler()),
    ]
    return steps


def _branch(sources: Mapping[str, Sequence[str]], combat: bool, **pre) -> ColumnTransformer:
    """One preprocessing branch per source; ComBat branches also receive the site column."""
    return ColumnTransformer(
        [(name, Pipeline(preprocessing_steps(combat=combat, **pre)), list(cols) + (["site"] if combat else []))
         for name, cols in sources.items()],
        verbose_feature_names_out=False,
    )


def build_pipeline(
    classifier: str = "elasticnet",
    seed: int = 0,
    *,
    sources: Mapping[str, Sequence[str]] | None = None,
    fusion: str = "none",
    selection: str = "mrmr",
    n_select: int = 20,
    correlation_threshold: float = 0.95,
    combat: bool = False,
    inner_folds: int = 3,
    pandas_output: bool = True,
):
    """Return (estimator, hyperparameter grid for the inner CV).

    Args:
        classifier: one of ``CLASSIFIERS``.
        sources: source name -> its columns; needed for ``fusion`` "early" and "late".
        fusion: "none" (one source, all columns of X), "early" or "late".
        selection: one of ``SELECTIONS``; ``n_select`` features are kept.
        combat: harmonise by the ``site`` column of X (fitted on training folds only).
        inner_folds: folds of late fusion's internal out-of-fold probabilities.
        pandas_output: steps pass DataFrames with column names (``set_output``); False passes
            arrays after the first step, about twice as fast inside cross-validation.

    Late fusion's base models use each classifier's default hyperparameters (no grid), so the
    nested cost stays that of one inner CV.
    """
    pre = {"correlation_threshold": correlation_threshold}
    output = "pandas" if pandas_output else "default"
    if classifier in BASELINES:  # plain: imputation and scaling only, no filters or selection
        clf = make_classifier(classifier, seed, inner_folds)[0]
        steps = ([("combat", ComBat("site"))] if combat else []) + [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
        return Pipeline([*steps, ("clf", clf)]).set_output(transform=output), {}
    clf, clf_grid = make_classifier(classifier, seed, inner_folds)
    grid = {f"clf__{k}": v for k, v in clf_grid.items()}

    def head(source_cols: Mapping[str, Sequence[str]] | None) -> list[tuple[str, object]]:
        steps = [("preprocess", _branch(source_cols, combat, **pre))] if source_cols else preprocessing_steps(combat=combat, **pre)
        selector = make_selector(selection, n_select, seed)
        return steps + ([("select", selector)] if selector is not None else [])

    if fusion == "none":
        pipe = Pipeline(head(None) + [("clf", clf)])
    elif fusion == "early":
        if not sources or len(sources) < 2:
            raise ValueError("early fusion needs at least two sources")
        pipe = Pipeline(head(sources) + [("clf", clf)])
    elif fusion == "late":
        if not sources or len(sources) < 2:
            raise ValueError("late fusion needs at least two sources")
        bases = [(name, Pipeline(head({name: cols}) + [("clf", make_classifier(classifier, seed, inner_folds)[0])]))
                 for name, cols in sources.items()]
        for _, base in bases:
            base.set_output(transform=output)
        return LateFusionClassifier(bases, cv=inner_folds, random_state=seed), {}
    else:
        raise ValueError(f"unknown fusion {fusion!r}; available: none, early, late")
    pipe.set_output(transform=output)
    return pipe, grid


def member_pipeline(member: str, seed: int = 0, **kwargs):
    """(pipeline, grid) of ``auto`` with one of its members (by name) in place of the ensemble:
    the same preprocessing and seeds, so the mean of the members' probabilities is ``auto``'s."""
    pipe, grid = build_pipeline("auto", seed, selection="none", pandas_output=False, **kwargs)
    members = dict(pipe.named_steps["clf"].estimators)
    if member not in members:
        raise ValueError(f"unknown member {member!r} of auto; available: {', '.join(members)}")
    pipe.steps[-1] = ("clf", members[member])
    return pipe, grid
