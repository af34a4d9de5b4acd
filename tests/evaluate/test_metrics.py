import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from radiodeep.evaluate import bootstrap_auc_ci, summarise_predictions
from radiodeep.evaluate.stage import run_evaluate


def test_bootstrap_ci_brackets_auc_and_narrows_with_n():
    rng = np.random.default_rng(0)
    widths = []
    for n in (40, 400):
        y = rng.integers(0, 2, n)
        s = y + rng.normal(0, 1.2, n)
        auc, low, high = bootstrap_auc_ci(y, s, np.arange(n), n_boot=1000, seed=1)
        assert auc == pytest.approx(roc_auc_score(y, s))
        assert low < auc < high
        widths.append(high - low)
    assert widths[1] < widths[0] / 2


def test_patient_bootstrap_is_wider_than_case_bootstrap_for_clustered_cases():
    rng = np.random.default_rng(2)
    y_p = rng.integers(0, 2, 30)
    y = np.repeat(y_p, 5)
    s = np.repeat(y_p + rng.normal(0, 1, 30), 5) + rng.normal(0, 0.05, 150)
    _, lo_c, hi_c = bootstrap_auc_ci(y, s, np.arange(150), n_boot=1000)
    _, lo_p, hi_p = bootstrap_auc_ci(y, s, np.repeat(np.arange(30), 5), n_boot=1000)
    assert (hi_p - lo_p) > 1.5 * (hi_c - lo_c)


def test_run_evaluate_writes_metrics_and_roc(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for rep in range(2):
        y = np.arange(40) % 2
        rows.append(pd.DataFrame({"feature_set": "handcrafted", "classifier": "elasticnet", "repeat": rep, "fold": 0,
                                  "case_id": [f"c{i}" for i in range(40)], "patient_id": [f"c{i}" for i in range(40)],
                                  "label": y, "score": (y * 0.5 + rng.random(40)) / 1.5, "threshold": 0.5}))
    # a second model that scores every case the same (e.g. no feature survived the penalty):
    # its Youden threshold is 1.0 and it predicts no case positive
    rows.append(rows[0].assign(classifier="svm", score=0.42, threshold=1.0))
    oof = pd.concat(rows)
    oof.to_csv(tmp_path / "oof.csv", index=False)
    m = run_evaluate(tmp_path / "oof.csv", tmp_path, n_boot=300)
    assert m.at[1, "auc"] == 0.5 and m.at[1, "warning"].startswith("constant score 0.420 for all 40 cases")
    assert pd.isna(pd.read_csv(tmp_path / "metrics.csv").at[0, "warning"])  # no warning for the working model
    m = m.iloc[:1]
    assert list(m.columns[:7]) == ["feature_set", "classifier", "auc", "auc_ci_low", "auc_ci_high", "n", "n_pos"]
    assert m.at[0, "n"] == 40 and m.at[0, "n_pos"] == 20
    expected = roc_auc_score(oof.groupby("case_id").label.first(), oof.groupby("case_id").score.mean())
    assert m.at[0, "auc"] == pytest.approx(expected)
    assert (tmp_path / "roc.png").stat().st_size > 10_000 and (tmp_path / "roc.svg").read_text().startswith("<?xml")
    assert summarise_predictions(oof)["n_repeats"] == 2
    assert m.at[0, "n_permutations"] == 0 and np.isnan(m.at[0, "perm_p"]) and np.isnan(m.at[0, "test_auc"])
    assert len(pd.read_csv(tmp_path / "delong.csv")) == 0  # no fused model, nothing to compare


def test_score_warning_names_constant_scores_and_a_threshold_above_every_score():
    from radiodeep.evaluate.metrics import score_warning

    assert score_warning(np.full(5, 0.3), 1.0).startswith("constant score 0.300 for all 5 cases")
    low = score_warning(np.array([0.1, 0.2, 0.3]), np.array([0.5, 0.6, 0.5]))
    assert low.startswith("no case predicted positive: threshold 0.500 is above every score (max 0.300)")
    assert score_warning(np.array([0.1, 0.7]), 0.5) == ""
