"""scikit-learn pipelines: every data-dependent step is a pipeline step, so it is fitted inside
the training folds only.
"""

from __future__ import annotations

from sklearn.feature_selection import VarianceThreshold
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

CLASSIFIERS = ("elasticnet",)


def build_pipeline(classifier: str = "elasticnet", seed: int = 0, l1_ratio: float = 0.5) -> tuple[Pipeline, dict]:
    """Return (pipeline, hyperparameter grid for the inner CV).

    Steps: median imputation, near-zero-variance filter, standard scaling, classifier.
    """
    steps = [
        ("impute", SimpleImputer(strategy="median", keep_empty_features=False)),
        ("variance", VarianceThreshold(1e-8)),
        ("scale", StandardScaler()),
    ]
    if classifier == "elasticnet":
        clf = LogisticRegression(l1_ratio=l1_ratio, solver="saga", C=0.1, max_iter=5000, random_state=seed)
        grid = {"clf__C": [0.01, 0.03, 0.1, 0.3, 1.0]}
    else:
        raise ValueError(f"unknown classifier {classifier!r}; available: {CLASSIFIERS}")
    pipe = Pipeline(steps + [("clf", clf)])
    pipe.set_output(transform="pandas")
    return pipe, grid
