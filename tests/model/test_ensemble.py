"""The default classifier's parts: patient-grouped inner tuning of the L1-logistic, reaching it
through the pipeline, the ensemble's probabilities and the noise guard for every member."""

import numpy as np
import pandas as pd
import pytest

from radiodeep.evaluate.metrics import summarise_predictions
from radiodeep.model import build_pipeline, cross_validated_predictions
from radiodeep.model.cv import fit_tuned
from radiodeep.model.ensemble import AveragingEnsemble, GroupedLogisticCV, members_average, one_se_c
from radiodeep.model.pipelines import member_pipeline
from tests.model.test_leakage import _noise


def _twins(seed=0, n_patients=30, p=200):
    """Noise features, each patient's two cases identical: an inner CV that splits a patient's
    cases scores memorisation (weak regularisation) near AUC 1."""
    rng = np.random.default_rng(seed)
    X = np.repeat(rng.normal(size=(n_patients, p)), 2, axis=0)
    y = np.repeat(rng.permutation(np.arange(n_patients) % 2), 2)
    return pd.DataFrame(X, columns=[f"original_firstorder_f{i}" for i in range(p)]), y, np.repeat(np.arange(n_patients), 2).astype(str)


def _best_inner_auc(model: GroupedLogisticCV) -> float:
    scores = np.asarray(model.inner_cv_.scores_)  # inner folds x l1_ratios x Cs
    return float(np.max(scores.reshape(scores.shape[0], -1).mean(axis=0)))


def test_inner_tuning_is_patient_grouped_through_the_pipeline():
    X, y, groups = _twins()
    ungrouped = GroupedLogisticCV(random_state=0).fit(X.to_numpy(), y)
    assert _best_inner_auc(ungrouped) > 0.9  # the twins leak when the inner folds ignore patients
    pipe, grid = build_pipeline("auto", 0, selection="none", pandas_output=False)
    fitted = fit_tuned(pipe, grid, X, y, groups, inner_splits=3, seed=0)
    l1 = fitted.named_steps["clf"].named_estimators_["l1_logistic"]
    assert _best_inner_auc(l1) < 0.75, l1.inner_cv_.scores_


def test_ensemble_averages_its_members():
    X, y, groups = _twins(seed=1, p=20)
    ens = build_pipeline("auto", 0, selection="none", pandas_output=False)[0].fit(X, y)
    members = ens.named_steps["clf"].estimators_
    Z = ens[:-1].transform(X)
    np.testing.assert_allclose(ens.predict_proba(X), np.mean([m.predict_proba(Z) for m in members], axis=0))
    assert isinstance(ens.named_steps["clf"], AveragingEnsemble) and len(members) == 3


def test_one_se_rule_takes_the_sparsest_c_within_one_standard_error():
    # 3 inner folds x 4 Cs: best mean 0.80 at C=1 (SE 0.1/sqrt(3) = 0.0577); C=0.1 (0.76) is within
    # it, C=0.01 (0.70) is not
    scores = np.array([[0.70, 0.66, 0.70, 0.70], [0.70, 0.76, 0.80, 0.75], [0.70, 0.86, 0.90, 0.80]])
    assert one_se_c(scores, [0.01, 0.1, 1.0, 10.0]) == 0.1
    assert one_se_c(scores[:, ::-1], [10.0, 1.0, 0.1, 0.01]) == 0.1  # order of the grid does not matter


def test_one_se_rule_is_sparse_on_noise_and_keeps_a_true_signal():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 50))
    y = rng.permutation(np.arange(120) % 2)
    noise = GroupedLogisticCV(class_weight="balanced", random_state=0, rule="1se").fit(X, y)
    assert np.count_nonzero(noise.coef_) <= 5, noise.C_  # measured: 3 of 50 (C 0.1)
    signal = y + 0.0
    X[:, 0] += 1.5 * signal
    fitted = GroupedLogisticCV(class_weight="balanced", random_state=0, rule="1se").fit(X, y)
    assert fitted.coef_[0, 0] > 0 and np.count_nonzero(fitted.coef_) < 10, fitted.coef_


def _member(name):
    if name == "auto":
        return lambda: build_pipeline("auto", 0, selection="none", pandas_output=False)
    return lambda: member_pipeline(name, 0)


def test_auto_out_of_fold_scores_are_the_mean_of_its_members_fitted_alone():
    # the basis of bench/radmlbench.py --members: same preprocessing, folds and seeds
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(48, 12)), columns=[f"original_firstorder_f{i}" for i in range(12)])
    y = (X.iloc[:, 0] + rng.normal(size=48) > 0).astype(int).to_numpy()
    ids = pd.Series([f"c{i}" for i in range(48)])
    groups = ids.to_numpy()

    def oof(make):
        return cross_validated_predictions(X, y, groups, ids, make, n_splits=2, n_repeats=1, inner_splits=3, seed=1, threshold=False)

    auto = oof(_member("auto"))
    names = [n for n, _ in build_pipeline("auto", 0, selection="none")[0].named_steps["clf"].estimators]
    parts = [oof(_member(n)) for n in names]
    np.testing.assert_allclose(members_average(parts)["score"], auto["score"], rtol=0, atol=1e-12)
    assert len({round(p["score"].iloc[0], 6) for p in parts}) == 3  # the members differ: the mean is not trivial
    with pytest.raises(ValueError, match="not on the same folds"):
        members_average([parts[0], parts[1].iloc[::-1].reset_index(drop=True)])


# Every pipeline the default may use (the ensemble and each member alone) gives a CI containing
# 0.5 on pure noise; CV on noise is biased below 0.5 (README "Small samples"), never above it.
@pytest.mark.parametrize("member", ["auto", "l1_logistic", "random_forest", "boosting", "baseline_l1_logistic", "baseline_random_forest"])
def test_every_default_pipeline_gives_chance_auc_on_noise(member):
    X, y, groups, ids = _noise(4, p=1000)
    make = _member(member) if not member.startswith("baseline") else (lambda: build_pipeline(member, 0, pandas_output=False))
    oof = cross_validated_predictions(X, y, groups, ids, make, n_splits=5, n_repeats=1, inner_splits=3, seed=4, threshold=False)
    s = summarise_predictions(oof, n_boot=500, seed=4)
    assert s["auc_ci_low"] < 0.5 < s["auc_ci_high"] and s["auc"] < 0.6, s
