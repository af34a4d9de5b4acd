import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from radiodeep.model.combat import ComBat, site_outcome_confounding
from radiodeep.model.filters import CorrelationFilter, MRMRSelector, StabilityFilter


@parametrize_with_checks([CorrelationFilter(), StabilityFilter(), MRMRSelector(k=2), ComBat(site_column=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_correlation_filter_keeps_one_of_each_correlated_pair():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=100), rng.normal(size=100)
    X = pd.DataFrame({"a": a, "a2": a * 3 + rng.normal(0, 0.01, 100), "b": b, "b2": -b})
    out = CorrelationFilter(0.9).set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == ["a", "b"]


def test_stability_filter_uses_icc_and_keeps_unstudied_features():
    X = pd.DataFrame(np.ones((4, 3)), columns=["stable", "unstable", "unstudied"])
    f = StabilityFilter({"stable": 0.9, "unstable": 0.4}, 0.75).fit(X)
    assert list(f.get_feature_names_out()) == ["stable", "unstudied"]


def test_mrmr_prefers_a_complementary_feature_over_a_redundant_copy():
    rng = np.random.default_rng(1)
    y = np.arange(200) % 2
    s1, s2 = rng.normal(size=200), rng.normal(size=200)
    X = pd.DataFrame({"copy": s1 + 1.2 * y + rng.normal(0, 0.05, 200), "strong": s1 + 1.2 * y,
                      "other": s2 + 0.8 * y, "noise": rng.normal(size=200)})
    chosen = MRMRSelector(k=2).fit(X, y).get_feature_names_out()
    assert "other" in chosen and len(set(chosen) & {"copy", "strong"}) == 1


def _sites(seed=0, n=60, p=30):
    rng = np.random.default_rng(seed)
    site = np.repeat(["A", "B", "C"], n // 3)
    shift = {"A": 0.0, "B": 3.0, "C": -2.0}
    scale = {"A": 1.0, "B": 2.5, "C": 0.5}
    X = rng.normal(size=(n, p)) * np.array([scale[s] for s in site])[:, None] + np.array([shift[s] for s in site])[:, None]
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(p)]).assign(site=site)


@pytest.mark.parametrize("eb", [True, False])
def test_combat_removes_site_location_and_scale(eb):
    X = _sites()
    out = ComBat(empirical_bayes=eb).set_output(transform="pandas").fit_transform(X)
    assert "site" not in out.columns and out.shape == (60, 30)
    means = out.groupby(X["site"].to_numpy()).mean().mean(axis=1)
    sds = out.groupby(X["site"].to_numpy()).std().mean(axis=1)
    assert means.max() - means.min() < 0.15  # raw shifts span 5 units
    assert sds.max() / sds.min() < 1.3  # raw scales span a factor 5
    raw_means = X.drop(columns="site").groupby(X["site"]).mean().mean(axis=1)
    assert raw_means.max() - raw_means.min() > 4.5


def test_combat_without_eb_matches_location_scale_formula():
    X = _sites(seed=3)
    out = ComBat(empirical_bayes=False).fit_transform(X)
    values = X.drop(columns="site").to_numpy()
    site = X["site"].to_numpy()
    alpha = values.mean(axis=0)
    resid = values - pd.DataFrame(values).groupby(site).transform("mean").to_numpy()
    sigma = np.sqrt((resid**2).mean(axis=0))
    z = (values - alpha) / sigma
    for s in "ABC":
        zs = z[site == s]
        expected = (zs - zs.mean(axis=0)) / zs.std(axis=0, ddof=1) * sigma + alpha
        np.testing.assert_allclose(out[site == s], expected, atol=1e-10)


def test_combat_is_fold_safe_and_handles_unseen_sites():
    X = _sites(seed=2)
    train, test = X.iloc[::2], X.iloc[1::2]
    model = ComBat().fit(train)
    np.testing.assert_allclose(model.transform(test), ComBat().fit(train).transform(test))  # test rows never used to fit
    unseen = test.assign(site="Z")
    np.testing.assert_allclose(model.transform(unseen), unseen.drop(columns="site").to_numpy())


def test_confounding_warning(caplog):
    y = np.r_[np.zeros(20), np.ones(20)]
    assert site_outcome_confounding(np.repeat(["A", "B"], 20), y) == pytest.approx(1.0)
    assert "confounded" in caplog.text
    caplog.clear()
    assert site_outcome_confounding(np.tile(["A", "B"], 20), y) < 0.1
    assert "confounded" not in caplog.text
