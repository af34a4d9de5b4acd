import numpy as np
import pytest
from scipy.stats import norm

from radiodeep.evaluate.delong import delong_covariance, delong_test

# independent PyPI implementations, used in tests only (dev extra): per-model variances from
# rocauc-comparison, p-value and variance of the difference from MLstatkit
rocauc_comparison = pytest.importorskip("rocauc_comparison")
mlstatkit_delong = pytest.importorskip("MLstatkit.delong")


def _score_sets():
    rng = np.random.default_rng(0)
    for n, tie_levels in [(30, None), (80, None), (200, None), (40, 5), (120, 3), (60, 10)]:
        y = rng.permutation(np.arange(n) % 2 if n % 3 else (np.arange(n) % 3 == 0).astype(int))
        a = y * 0.8 + rng.normal(size=n)
        b = 0.5 * a + y * 0.3 + rng.normal(size=n)
        if tie_levels:  # coarse scores: many ties within and across classes
            a, b = np.round(a * tie_levels / 4), np.round(b * tie_levels / 4)
        yield y, a, b


@pytest.mark.parametrize("y, a, b", list(_score_sets()))
def test_delong_matches_independent_implementation(y, a, b):
    ours = delong_test(y, a, b)
    _, ref_p, _, _, auc_a, auc_b, info = mlstatkit_delong.Delong_test(y, a, b)
    assert info["method"] == "delong"
    for key, scores in (("var_a", a), ("var_b", b)):
        auc, var = rocauc_comparison.delong_roc_variance(y, scores)
        assert ours[key] == pytest.approx(float(np.squeeze(var)), abs=1e-6)
    assert (ours["auc_a"], ours["auc_b"]) == pytest.approx((auc_a, auc_b), abs=1e-12)
    assert ours["var_a"] + ours["var_b"] - 2 * ours["covariance"] == pytest.approx(info["var_diff"], abs=1e-9)
    assert ours["p"] == pytest.approx(ref_p, abs=1e-6)


def test_delong_equals_brute_force_structural_components():
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 50)
    scores = np.vstack([np.round(y + rng.normal(size=50), 1), np.round(rng.normal(size=50), 1)])
    pos, neg = scores[:, y == 1], scores[:, y == 0]
    psi = (pos[:, :, None] > neg[:, None, :]) + 0.5 * (pos[:, :, None] == neg[:, None, :])
    v10, v01 = psi.mean(axis=2), psi.mean(axis=1)
    cov = np.cov(v10) / pos.shape[1] + np.cov(v01) / neg.shape[1]
    aucs, ours = delong_covariance(y, scores)
    np.testing.assert_allclose(aucs, psi.mean(axis=(1, 2)), atol=1e-12)
    np.testing.assert_allclose(ours, cov, atol=1e-12)
    z = (aucs[0] - aucs[1]) / np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    assert delong_test(y, scores[0], scores[1])["p"] == pytest.approx(2 * norm.sf(abs(z)), abs=1e-12)


def test_identical_scores_give_p_one():
    y = np.array([0, 1, 0, 1, 1, 0])
    s = np.array([0.1, 0.9, 0.3, 0.6, 0.2, 0.5])
    res = delong_test(y, s, s)
    assert res["p"] == 1.0 and res["auc_diff"] == 0.0
