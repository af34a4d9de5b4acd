"""Leakage guard: pure-noise features with random labels must give chance AUC through the full
nested pipeline with feature selection, whereas selecting features on all cases first does not."""

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_selection import SelectKBest, f_classif

from radiodeep.evaluate.metrics import summarise_predictions
from radiodeep.model import build_pipeline, cross_validated_predictions, design_matrix


def _noise(seed, n=60, p=2000):
    rng = np.random.default_rng(seed)
    ids = [f"c{i:02d}" for i in range(n)]
    feats = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"original_firstorder_f{i}" for i in range(p)])
    feats.insert(0, "case_id", ids)
    feats.insert(1, "patient_id", ids)
    y = rng.permutation(np.arange(n) % 2)
    return design_matrix(feats, pd.DataFrame({"case_id": ids, "label": y}), 5)


# Seed 3 gives AUC 0.32 [0.19, 0.46]: CV on pure noise is biased *below* 0.5 (removing a test fold
# shifts the training class means the other way), never above it; leakage would push it up.
@pytest.mark.parametrize("seed, selection, contains_half", [(0, "kbest", True), (1, "mrmr", True), (2, "l1", True), (3, "mrmr", False)])
def test_nested_selection_gives_chance_auc_on_noise(seed, selection, contains_half):
    X, y, groups, ids = _noise(seed)
    oof = cross_validated_predictions(X, y, groups, ids, lambda: build_pipeline("elasticnet", seed, selection=selection, n_select=10, pandas_output=False),
                                      n_splits=5, n_repeats=1, inner_splits=2, seed=seed)
    s = summarise_predictions(oof, n_boot=500, seed=seed)
    assert s["auc_ci_low"] < 0.5 and s["auc"] < 0.6, s
    assert (s["auc_ci_high"] > 0.5) == contains_half, s


def test_selection_outside_the_folds_leaks():
    X, y, groups, ids = _noise(0)
    leaked = X.loc[:, SelectKBest(f_classif, k=10).fit(X, y).get_support()]  # selection saw every test fold
    oof = cross_validated_predictions(leaked, y, groups, ids, lambda: build_pipeline("elasticnet", 0, selection="none", pandas_output=False),
                                      n_splits=5, n_repeats=1, inner_splits=3, seed=0)
    assert summarise_predictions(oof, n_boot=200)["auc"] > 0.75
