"""ClinicalEncoder (categorical covariates encoded inside the folds) and the clinical-vs-imaging ablation."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import check_estimator

from radiodeep.model.clinical import ClinicalEncoder
from radiodeep.model.clinical_ablation import paired_delta_auc, run_clinical_ablation
from radiodeep.model.stage import ModelSettings


def test_estimator_checks_pass():
    failed = [c for c in check_estimator(ClinicalEncoder(), on_fail=None) if c["status"] == "failed"]
    assert not failed, [(c["check_name"], str(c["exception"])[:200]) for c in failed]


def test_levels_come_from_the_training_part_only():
    train = pd.DataFrame({"age": [50, 60, 70, 80, 55, 65, 75], "sex": ["F", "M", "F", "M", "F", "M", "F"],
                          "grade": ["High", "High", "High", "Low", "Low", "Low", None]})
    test = pd.DataFrame({"age": [40, np.nan], "sex": ["M", "F"], "grade": ["Intermediate", "High"]})
    enc = ClinicalEncoder(categorical=["sex", "grade"], min_frequency=2).fit(train)
    # sex is binary: one indicator; grade's missing (1 case) is rarer than min_frequency: pooled
    assert list(enc.get_feature_names_out()) == ["age", "sex_M", "grade_High", "grade_Low", "grade_infrequent"]
    out = enc.set_output(transform="pandas").transform(test)
    # a level unseen in training (Intermediate) goes to the pooled indicator, never to a new column
    np.testing.assert_array_equal(out.iloc[0, 1:].to_numpy(), [1, 0, 0, 1])
    np.testing.assert_array_equal(out.iloc[1, 1:].to_numpy(), [0, 1, 0, 0])
    assert out["age"].iloc[0] == 40 and np.isnan(out["age"].iloc[1])  # numeric passes through, imputed downstream


def test_text_in_a_numeric_column_is_refused():
    with pytest.raises(ValueError, match="column .age. is not categorical but holds text .'sixty'."):
        ClinicalEncoder(categorical=["sex"]).fit(pd.DataFrame({"age": ["50", "sixty"], "sex": ["F", "M"]}))


def test_paired_delta_auc_is_the_difference_with_a_bracketing_ci():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 80)
    a, b = y + rng.normal(0, 0.5, 80), y + rng.normal(0, 3.0, 80)
    delta, low, high = paired_delta_auc(y, a, b, np.arange(80) // 2, n_boot=300)
    assert delta == pytest.approx(roc_auc_score(y, a) - roc_auc_score(y, b), abs=1e-12)
    assert 0 < low < delta < high and delta > 0.15


def test_ablation_finds_the_value_each_source_adds(tmp_path):
    """Clinical grade and one imaging feature each carry half of the signal: both beat either alone."""
    rng = np.random.default_rng(1)
    n = 90
    grade = rng.choice(["Low", "Intermediate", "High"], n)
    imaging = rng.normal(size=n)
    score = (grade == "High") * 1.5 + 1.2 * imaging + rng.normal(0, 0.6, n)
    y = (score > np.median(score)).astype(int)
    ids = [f"c{i:03d}" for i in range(n)]
    keys = pd.DataFrame({"case_id": ids, "patient_id": ids})
    hc = pd.DataFrame(rng.normal(size=(n, 8)), columns=[f"original_firstorder_f{i}" for i in range(8)]).assign(original_firstorder_f0=imaging)
    sources = {"handcrafted": pd.concat([keys, hc], axis=1),
               "clinical": keys.assign(age=rng.normal(60, 10, n), grade=grade)}
    outcome = keys.assign(label=pd.array(y, dtype="Int64"))
    settings = ModelSettings(classifiers=["elasticnet"], folds=3, repeats=1, inner_folds=2, n_select=3)
    metrics, deltas = run_clinical_ablation(sources, outcome, ["grade"], "handcrafted", tmp_path, settings, n_boot=300)
    auc = metrics.set_index("feature_set")["auc"]
    assert 0.6 < auc["clinical"] < 0.9 and 0.6 < auc["handcrafted"] < 0.9
    assert auc["clinical+handcrafted"] > max(auc["clinical"], auc["handcrafted"]) + 0.05
    gain = deltas.set_index(["model_a", "model_b"]).loc[("clinical+handcrafted", "clinical")]
    assert gain["delta_auc"] == pytest.approx(auc["clinical+handcrafted"] - auc["clinical"], abs=1e-9)
    assert gain["delta_ci_low"] > 0 and gain["delong_p"] < 0.05
    assert {p.name for p in tmp_path.iterdir()} >= {"clinical_ablation.csv", "clinical_ablation_delta.csv", "clinical_ablation_oof.csv"}

