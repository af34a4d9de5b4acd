import numpy as np
import pandas as pd
import pytest

from radiodeep.errors import RadiodeepError
from radiodeep.evaluate.metrics import summarise_predictions
from radiodeep.model import build_pipeline, cross_validated_predictions, design_matrix, outer_splits


def _cohort(n_patients=30, cases_per_patient=2, n_features=200, signal=0.0, seed=0):
    rng = np.random.default_rng(seed)
    patients = np.repeat([f"p{i:03d}" for i in range(n_patients)], cases_per_patient)
    y_patient = rng.permutation(np.arange(n_patients) % 2)
    y = np.repeat(y_patient, cases_per_patient)
    X = rng.normal(size=(len(y), n_features))
    X[:, 0] += signal * y
    feats = pd.DataFrame(X, columns=[f"original_firstorder_f{i}" for i in range(n_features)])
    feats.insert(0, "case_id", [f"c{i:03d}" for i in range(len(y))])
    feats.insert(1, "patient_id", patients)
    outcome = feats[["case_id", "patient_id"]].assign(label=pd.array(y, dtype="Int64"))
    return feats, outcome


def test_splits_never_share_a_patient():
    feats, outcome = _cohort()
    X, y, groups, ids = design_matrix(feats, outcome, 5)
    for _, _, train, test in outer_splits(y, groups, 5, 3, seed=1):
        assert not set(groups[train]) & set(groups[test])


def test_random_features_give_chance_auc_and_signal_is_found():
    feats, outcome = _cohort(n_features=300, seed=3)
    X, y, groups, ids = design_matrix(feats, outcome, 5)
    oof = cross_validated_predictions(X, y, groups, ids, lambda: build_pipeline("elasticnet", 0, pandas_output=False), 5, 1, 3, seed=0)
    s = summarise_predictions(oof, n_boot=500)
    assert s["auc_ci_low"] < 0.5 < s["auc_ci_high"]
    feats, outcome = _cohort(n_features=50, signal=3.0, seed=4)
    X, y, groups, ids = design_matrix(feats, outcome, 5)
    oof = cross_validated_predictions(X, y, groups, ids, lambda: build_pipeline("elasticnet", 0, pandas_output=False), 5, 1, 3, seed=0)
    assert summarise_predictions(oof, n_boot=200)["auc"] > 0.9
    assert len(oof) == len(y) and set(oof["case_id"]) == set(ids)


def test_design_matrix_errors():
    feats, outcome = _cohort(n_patients=10, n_features=3)  # 5 patients per class, 10 cases per class
    with pytest.raises(RadiodeepError, match=r"only 5 patient\(s\) in the smaller class, fewer than the 6 folds"):
        design_matrix(feats, outcome, 6)
    one_class = outcome.assign(label=pd.array([1] * len(outcome), dtype="Int64"))
    with pytest.raises(RadiodeepError, match="single class"):
        design_matrix(feats, one_class, 2)
    with pytest.raises(RadiodeepError, match="non-numeric feature column"):
        design_matrix(feats.assign(original_x_sex="m"), outcome, 2)
    with pytest.raises(RadiodeepError, match="duplicated case_id"):
        design_matrix(pd.concat([feats, feats.iloc[:1]]), outcome, 2)
    X, *_ = design_matrix(feats.assign(original_x_empty=np.nan), outcome, 2)
    assert "original_x_empty" not in X.columns


def test_tuning_with_few_patients_of_a_class_does_not_crash():
    from radiodeep.model.cv import fit_tuned

    rng = np.random.default_rng(0)
    # 3 positive patients with 2 cases each among 12 negatives: inner 3-fold CV on patients would
    # leave an inner training fold without positives if folds were counted on cases
    y = np.array([1] * 6 + [0] * 12)
    groups = np.array(["p1", "p1", "p2", "p2", "p3", "p3"] + [f"n{i}" for i in range(12)])
    X = pd.DataFrame(rng.normal(size=(18, 4)) + y[:, None], columns=[f"f{i}" for i in range(4)])
    pipe, grid = build_pipeline("elasticnet", 0)
    model = fit_tuned(pipe, grid, X, y, groups, inner_splits=3, seed=0)
    assert model.predict_proba(X).shape == (18, 2)
    one_pos_patient = fit_tuned(pipe, grid, X.iloc[:8], y[:8] * 0 + np.array([1, 1, 0, 0, 0, 0, 0, 0]),
                                np.array(["p1", "p1", "a", "b", "c", "d", "e", "f"]), 3, 0)
    assert one_pos_patient.predict_proba(X.iloc[:8]).shape == (8, 2)


def test_folds_and_permutations_in_two_processes_equal_the_serial_run():
    from radiodeep.model.cv import permutation_null

    feats, outcome = _cohort(n_patients=18, n_features=20, signal=1.0, seed=5)
    X, y, groups, ids = design_matrix(feats, outcome, 3)

    def make():
        return build_pipeline("elasticnet", 0, selection="mrmr", n_select=5, pandas_output=False)

    runs = {n: cross_validated_predictions(X, y, groups, ids, make, 3, 1, 2, seed=4, n_jobs=n) for n in (1, 2)}
    pd.testing.assert_frame_equal(runs[1], runs[2])
    assert runs[1]["score"].nunique() > len(y) // 2 and len(runs[1]) == len(y)
    nulls = {n: permutation_null(X, y, groups, ids, make, 2, 3, 2, seed=4, n_jobs=n) for n in (1, 2)}
    np.testing.assert_array_equal(nulls[1], nulls[2])
