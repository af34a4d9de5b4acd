"""Join feature tables with the outcome into a design matrix, checking what a model needs."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from radiodeep.errors import RadiodeepError

log = logging.getLogger(__name__)
KEYS = ("case_id", "patient_id", "roi")


def design_matrix(features: pd.DataFrame, outcome: pd.DataFrame, n_splits: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, pd.Series]:
    """Return X (feature columns only), y (0/1), groups (patient ids) and the case ids.

    ``outcome`` has case_id, patient_id and label (0/1, missing allowed: such cases are dropped
    with a log line). Raises RadiodeepError for duplicated ids, non-numeric columns, one class,
    or fewer cases of a class than folds. All-NaN columns are dropped with a log line.
    """
    if features["case_id"].duplicated().any():
        dups = sorted(features.loc[features["case_id"].duplicated(), "case_id"].unique())
        raise RadiodeepError(f"feature table has duplicated case_id(s): {dups[:10]}")
    merged = features.merge(outcome[["case_id", "label"]], on="case_id", how="inner", validate="one_to_one")
    unlabelled = merged["label"].isna()
    if unlabelled.any():
        log.info("%d case(s) without outcome left out of modelling: %s", int(unlabelled.sum()), list(merged.loc[unlabelled, "case_id"]))
        merged = merged.loc[~unlabelled]
    feature_cols = [c for c in features.columns if c not in KEYS]
    non_numeric = [c for c in feature_cols if not pd.api.types.is_numeric_dtype(merged[c])]
    if non_numeric:
        raise RadiodeepError(f"non-numeric feature column(s): {non_numeric[:10]}; encode or drop them")
    all_nan = [c for c in feature_cols if merged[c].isna().all()]
    if all_nan:
        log.warning("dropping %d all-NaN feature column(s): %s", len(all_nan), all_nan[:10])
        feature_cols = [c for c in feature_cols if c not in all_nan]
    if not feature_cols:
        raise RadiodeepError("no usable feature columns")
    y = merged["label"].astype(int).to_numpy()
    groups = merged["patient_id"].astype(str).to_numpy() if "patient_id" in merged else merged["case_id"].astype(str).to_numpy()
    if len(np.unique(y)) < 2:
        raise RadiodeepError(f"the outcome has a single class among the {len(y)} modelled cases; two are needed")
    # folds are patient-grouped, so each class needs at least one patient per fold
    patients_per_class = [len(np.unique(groups[y == c])) for c in (0, 1)]
    if min(patients_per_class) < n_splits:
        raise RadiodeepError(
            f"only {min(patients_per_class)} patient(s) in the smaller class, fewer than the {n_splits} folds; lower model.folds"
        )
    # One float64 block and a plain object column index: every fold's X.iloc[train] and every
    # scikit-learn input check is then a single array operation (a merged table's many blocks and
    # Arrow-string column names made the demo's nested CV spend half its CPU in pandas).
    X = pd.DataFrame(merged[feature_cols].to_numpy(dtype="float64"), columns=pd.Index(list(feature_cols), dtype=object))
    return X, y, groups, merged["case_id"].reset_index(drop=True)
