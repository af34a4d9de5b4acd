"""Harrell's and Uno's C, time-dependent AUC and their bootstrap CIs against scikit-survival."""

import numpy as np
import pytest
from sksurv.metrics import (
    concordance_index_censored,
    concordance_index_ipcw,
    cumulative_dynamic_auc,
)

from radiodeep.evaluate.survival_metrics import (
    harrell_c_columns,
    survival_discrimination,
    uno_c,
    usable_horizons,
)
from radiodeep.model.survival import surv


def tied_cohort(n=60, seed=3):
    """Rounded times (tied event and censoring times) and rounded risks (tied scores)."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    t_event = rng.exponential(400 * np.exp(-latent))
    t_cens = rng.uniform(100, 1500, n)
    time = np.ceil(np.minimum(t_event, t_cens) / 30) * 30
    event = t_event <= t_cens
    risk = np.column_stack([np.round(latent + rng.normal(0, 0.5, n), 1), np.round(rng.normal(size=n), 1), -latent])
    return surv(time, event), risk


def test_harrell_and_uno_equal_scikit_survival_with_ties():
    y, risk = tied_cohort()
    ours = harrell_c_columns(y["event"], y["time"], risk)
    ref = [concordance_index_censored(y["event"], y["time"], risk[:, j])[0] for j in range(risk.shape[1])]
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
    assert ours[0] > 0.7 and 0.35 < ours[1] < 0.65 and ours[2] < 0.3  # signal, noise, reversed signal
    for tau in (300.0, 700.0):
        assert uno_c(y, risk[:, 0], tau) == pytest.approx(concordance_index_ipcw(y, y, risk[:, 0], tau=tau)[0], abs=1e-12)


def test_discrimination_ci_brackets_point_and_auc_is_scikit_survivals():
    y, risk = tied_cohort()
    groups = np.repeat(np.arange(30), 2)  # two cases per patient: resampled together
    out = survival_discrimination(y, risk[:, 0], groups, horizons=[365, 730, 10_000], n_boot=300, seed=1)
    assert out["c_index_ci_low"] < out["c_index"] < out["c_index_ci_high"]
    assert out["uno_c_ci_low"] < out["uno_c"] < out["uno_c_ci_high"]
    assert out["c_index_ci_high"] - out["c_index_ci_low"] < 0.3
    assert usable_horizons(y, [365, 730, 10_000]) == [365.0, 730.0] and "auc_10000" not in out  # beyond follow-up
    ref = cumulative_dynamic_auc(y, y, risk[:, 0], [365.0, 730.0])[0]
    assert [out["auc_365"], out["auc_730"]] == pytest.approx(list(ref), abs=1e-12)
    assert out["uno_tau"] == 730.0
