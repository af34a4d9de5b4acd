"""The model stage: cross-validated out-of-fold predictions for every feature set and classifier."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from radiodeep.io import write_table
from radiodeep.model.cv import cross_validated_predictions
from radiodeep.model.data import design_matrix
from radiodeep.model.pipelines import build_pipeline
from radiodeep.seeds import seed_everything

log = logging.getLogger(__name__)


def read_feature_table(path: str | Path) -> pd.DataFrame:
    """Read a feature table from CSV, CSV.gz or Parquet."""
    path = Path(path)
    if path.name.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path)


def run_model(
    feature_tables: Mapping[str, str | Path],
    outcome: pd.DataFrame,
    out_oof: str | Path,
    classifiers: Sequence[str] = ("elasticnet",),
    folds: int = 5,
    repeats: int = 5,
    inner_folds: int = 3,
    seed: int = 0,
    provenance: str = "",
) -> pd.DataFrame:
    """Write out-of-fold predictions (feature_set, classifier, repeat, fold, case_id, patient_id,
    label, score) for each feature set (name -> table path) and classifier.

    ``provenance`` (the run's provenance hash) goes into the predictions' ``.meta.json`` sidecar.
    """
    seed_everything(seed)
    frames = []
    for set_name, table_path in feature_tables.items():
        X, y, groups, ids = design_matrix(read_feature_table(table_path), outcome, folds)
        for clf in classifiers:
            log.info("feature set %s (%d cases, %d features), classifier %s", set_name, len(y), X.shape[1], clf)
            oof = cross_validated_predictions(
                X, y, groups, ids, lambda clf=clf: build_pipeline(clf, seed), folds, repeats, inner_folds, seed
            )
            frames.append(oof.assign(feature_set=set_name, classifier=clf))
    result = pd.concat(frames, ignore_index=True)
    cols = ["feature_set", "classifier", "repeat", "fold", "case_id", "patient_id", "label", "score"]
    result = result[cols]
    write_table(result, out_oof, **({"provenance": provenance} if provenance else {}))
    return result
