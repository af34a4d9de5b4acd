import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from radiodeep.evaluate.decision import decision_curves, net_benefit
from radiodeep.evaluate.metrics import (
    calibration_slope_intercept,
    clinical_metrics,
    threshold_metrics,
    youden_threshold,
)


def test_calibration_slope_and_intercept_recover_known_miscalibration():
    rng = np.random.default_rng(0)
    lp = rng.normal(0, 2, 20000)
    y = rng.random(20000) < expit(lp)
    slope, intercept = calibration_slope_intercept(y, expit(lp))
    assert slope == pytest.approx(1.0, abs=0.05) and intercept == pytest.approx(0.0, abs=0.05)
    slope, _ = calibration_slope_intercept(y, expit(2 * lp))  # overconfident model: slope 1/2
    assert slope == pytest.approx(0.5, abs=0.03)
    _, intercept = calibration_slope_intercept(y, expit(lp - 1))  # risks too low: intercept +1
    assert intercept == pytest.approx(1.0, abs=0.06)


def test_threshold_metrics_and_youden():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    pred = np.array([1, 1, 0, 0, 0, 1, 0, 1])
    m = threshold_metrics(y, pred)
    assert (m["sensitivity"], m["specificity"], m["ppv"], m["npv"]) == (0.75, 0.75, 0.75, 0.75)
    assert youden_threshold(np.array([0, 0, 1, 1, 0, 1]), np.array([0.1, 0.2, 0.7, 0.8, 0.75, 0.9])) == 0.7


def test_clinical_metrics_use_each_folds_threshold():
    oof = pd.DataFrame({"case_id": list("abcd") * 2, "patient_id": list("abcd") * 2, "label": [0, 1, 0, 1] * 2,
                        "score": [0.2, 0.6, 0.4, 0.8] * 2, "threshold": [0.5] * 4 + [0.3] * 4})
    m = clinical_metrics(oof)
    assert m["sensitivity"] == 1.0 and m["specificity"] == 0.75  # the 0.4 negative is called positive at 0.3 only
    assert m["brier"] == pytest.approx(np.mean([0.04, 0.16, 0.16, 0.04]))


def test_net_benefit_formula_and_reference_strategies():
    y = np.array([1, 1, 0, 0, 0, 1, 0, 0, 0, 0])
    p = np.array([0.9, 0.6, 0.7, 0.1, 0.2, 0.3, 0.1, 0.05, 0.4, 0.2])
    # at t=0.5: treated 0.9 (TP), 0.6 (TP), 0.7 (FP): NB = 2/10 - 1/10 * 1 = 0.1
    assert net_benefit(y, p, np.array([0.5]))[0] == pytest.approx(0.1)
    table = decision_curves({"m": pd.DataFrame({"label": y, "score": p})}, np.array([0.2]))
    nb = table.set_index("model")["net_benefit"]
    assert nb["treat all"] == pytest.approx(0.3 - 0.7 * 0.25) and nb["treat none"] == 0.0
