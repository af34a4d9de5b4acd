"""Penalised Cox models in nested patient-grouped CV: signal recovered, permutation null at chance,
risk groups cut at the training folds' median, outputs of the stage."""

import functools

import numpy as np
import pandas as pd
import pytest

from radiodeep.evaluate.survival_metrics import harrell_c
from radiodeep.model.survival import (
    UnivariateCoxSelector,
    fit_tuned_cox,
    selected_features,
    surv,
    survival_pipeline,
)
from radiodeep.model.survival_cv import (
    cross_validated_risk,
    permute_outcomes,
    survival_permutation_null,
)
from radiodeep.model.survival_stage import SurvivalSettings, survival_feature_sets


def cox_cohort(n=80, p=20, seed=0):
    """Exponential event times with hazard exp(f0 + [grade High]); uniform censoring; two cases per patient."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"original_firstorder_f{i}" for i in range(p)])
    grade = rng.choice(["High", "Low", "Intermediate"], n)
    lp = X["original_firstorder_f0"].to_numpy() + 1.0 * (grade == "High")
    t_event, t_cens = rng.exponential(300 * np.exp(-lp)), rng.uniform(50, 900, n)
    y = surv(np.ceil(np.minimum(t_event, t_cens)), t_event <= t_cens)
    return X.assign(grade=grade, age=rng.normal(60, 10, n)), y, lp


def test_selector_and_tuned_cox_keep_the_signal():
    X, y, lp = cox_cohort()
    features = [c for c in X.columns if c.startswith("original")]
    sel = UnivariateCoxSelector(k=3).fit(X[features].to_numpy(), y)
    assert sel.get_support()[0] and sel.get_support().sum() == 3
    model = fit_tuned_cox(survival_pipeline({"clinical": ["grade", "age"], "handcrafted": features}, ["grade"], n_select=5),
                          X, y, np.arange(len(y)).astype(str))
    kept = selected_features(model)
    assert "original_firstorder_f0" in kept and "grade_High" in kept
    coef = dict(zip(model[:-1].get_feature_names_out(), model[-1].coef_[:, -1], strict=True))
    assert coef["original_firstorder_f0"] > 0 and coef["grade_High"] > 0  # higher risk, earlier event


def test_out_of_fold_risk_matches_the_oracle_and_the_null_is_chance():
    X, y, lp = cox_cohort()
    groups = np.repeat([f"p{i:02d}" for i in range(len(y) // 2)], 2)
    ids = pd.Series([f"c{i:03d}" for i in range(len(y))])
    make = functools.partial(survival_pipeline, {"clinical": ["grade", "age"], "handcrafted": list(X.columns[:20])}, ["grade"], 5)
    oof = cross_validated_risk(X, y, groups, ids, make, n_splits=3, n_repeats=1, inner_splits=2, seed=0)
    assert len(oof) == len(y) and oof["case_id"].is_unique
    folds_of_patient = oof.assign(p=groups[np.searchsorted(ids, oof["case_id"])]).groupby("p")["fold"].nunique()
    assert folds_of_patient.eq(1).all()  # a patient's two cases are in one test fold
    c_oof, c_oracle = harrell_c(y[np.searchsorted(ids, oof["case_id"])], oof["risk"]), harrell_c(y, lp)
    assert c_oracle - 0.08 < c_oof <= c_oracle + 0.03 and c_oof > 0.65
    assert oof.groupby("fold")["cut"].nunique().eq(1).all() and oof["cut"].nunique() == 3  # one cut per training part
    assert oof["high"].equals((oof["risk"] > oof["cut"]).astype(int)) and 0.3 < oof["high"].mean() < 0.7
    null = survival_permutation_null(X, y, groups, make, 3, n_splits=3, inner_splits=2, seed=0)
    assert len(null) == 3 and np.all(np.abs(null - 0.5) < 0.12) and np.all(null < c_oof)


def test_permutation_moves_time_event_pairs_between_patients():
    y = surv([5, 5, 9, 9, 2, 2, 7, 7], [1, 1, 0, 0, 1, 1, 0, 0])
    groups = np.array(["a", "a", "b", "b", "c", "c", "d", "d"])
    perm = permute_outcomes(y, groups, np.random.default_rng(3))
    assert sorted(map(tuple, perm.tolist())) == sorted(map(tuple, y.tolist()))  # pairs kept together
    assert all(perm[i] == perm[i + 1] for i in range(0, 8, 2))  # a patient's cases keep one outcome


def test_stage_writes_the_contract_and_explains_too_few_events(tmp_path):
    X, y, _ = cox_cohort(n=60, p=6, seed=2)
    ids = [f"c{i:03d}" for i in range(len(y))]
    keys = pd.DataFrame({"case_id": ids, "patient_id": ids})
    sources = {"handcrafted": pd.concat([keys, X.iloc[:, :6]], axis=1), "clinical": keys.assign(grade=X["grade"])}
    manifest = keys.assign(t=y["time"], e=y["event"].astype(int))
    settings = SurvivalSettings(endpoints={"pfs": {"time": "t", "event": "e"}}, feature_sets=["clinical+handcrafted"],
                                clinical={"numeric": [], "categorical": ["grade"]}, horizons=[100, 200], folds=3,
                                repeats=2, inner_folds=2, permutations=2, n_select=3, n_bootstrap=200)
    metrics = survival_feature_sets(sources, manifest, tmp_path, settings)
    row = metrics.iloc[0]
    assert list(metrics.columns[:8]) == ["endpoint", "feature_set", "model", "c_index", "c_index_ci_low", "c_index_ci_high", "n", "n_events"]
    assert (row["endpoint"], row["feature_set"], row["model"], row["n"], row["n_events"]) == ("pfs", "clinical+handcrafted", "coxnet", 60, int(y["event"].sum()))
    assert row["c_index_ci_low"] < row["c_index"] < row["c_index_ci_high"] and row["c_index"] > 0.65
    assert row["n_high"] + row["n_low"] == 60 and row["logrank_p"] < 0.05 and row["n_permutations"] == 2
    assert {"auc_100", "auc_200", "uno_c", "perm_p"} <= set(metrics.columns)
    for name in ("survival_km.png", "survival_km.svg", "survival_km.csv", "survival_oof_risk.csv", "survival_null.csv", "survival_coefficients.csv"):
        assert (tmp_path / name).stat().st_size > 0
    few = manifest.assign(e=[1] * 2 + [0] * 58)
    with pytest.raises(Exception, match="only 2 patient.s. with events for this endpoint, fewer than the 3 folds"):
        survival_feature_sets(sources, few, tmp_path / "few", settings)
