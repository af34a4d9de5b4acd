"""ICC(3,1) against Shrout & Fleiss (1979) and per-feature stability tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiodeep.features.stability import feature_stability, icc_3_1


def test_icc_3_1_shrout_fleiss_example():
    # Shrout & Fleiss (1979), Table 2: 6 targets, 4 judges; ICC(3,1) = 0.71 (pingouin ICC3: 0.714841)
    sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    assert icc_3_1(sf) == pytest.approx(0.714841, abs=1e-6)


def test_icc_hand_checked_two_raters():
    # n=3, k=2: rows (1,2), (2,3), (3,5); grand mean 8/3. SS_rows = 2*(1.1667^2 + 0.1667^2 + 1.3333^2) = 6.3333,
    # SS_cols = 3*(0.6667^2 * 2) = 2.6667, SS_total = 9.3333 -> SS_err = 0.3333, MS_err = 0.1667,
    # MS_rows = 3.1667; ICC = (3.1667 - 0.1667) / (3.1667 + 0.1667) = 0.9
    assert icc_3_1(np.array([[1, 2], [2, 3], [3, 5]])) == pytest.approx(0.9, abs=1e-9)
    # a constant offset between raters does not lower consistency
    assert icc_3_1(np.array([[1, 11], [2, 12], [3, 13]])) == pytest.approx(1.0)


def test_feature_stability_table():
    rng = np.random.default_rng(0)
    base = rng.normal(size=30)
    ref = pd.DataFrame({"case_id": [f"c{i}" for i in range(30)], "patient_id": "p", "roi": "1",
                        "original_firstorder_Mean": base, "original_glcm_Contrast": base})
    pred = ref.copy()
    pred["original_firstorder_Mean"] = base + 0.5  # offset only: ICC 1
    pred["original_glcm_Contrast"] = rng.normal(size=30)  # unrelated: ICC ~ 0
    pred = pred.iloc[::-1]  # matched on case_id, not on row order
    out = feature_stability(ref, pred).set_index("feature")
    assert out.at["original_firstorder_Mean", "icc"] == pytest.approx(1.0)
    assert bool(out.at["original_firstorder_Mean", "stable"]) and not bool(out.at["original_glcm_Contrast", "stable"])
    assert abs(out.at["original_glcm_Contrast", "icc"]) < 0.4 and (out["n"] == 30).all()
