"""ComBat harmonisation (Johnson, Li & Rabinovic 2007, Biostatistics 8:118) as a fold-safe
scikit-learn transformer: site effects are estimated on the training folds and applied to the
test fold, never estimated from it.

For feature g and site b, with grand mean alpha_g and pooled within-site SD sigma_g, the
standardised data Z = (x - alpha_g) / sigma_g get a per-site location gamma_bg and scale
delta2_bg. Empirical Bayes shrinks them towards priors shared by all features of a site:
gamma_bg ~ N(gamma_bar_b, tau2_b), delta2_bg ~ InvGamma(a_b, b_b) (method of moments), iterated:

    gamma*_bg = (n_b tau2_b gamma_hat_bg + delta2*_bg gamma_bar_b) / (n_b tau2_b + delta2*_bg)
    delta2*_bg = (b_b + 0.5 sum_j (Z_jg - gamma*_bg)^2) / (n_b / 2 + a_b - 1)

and x* = sigma_g (Z - gamma*_bg) / sqrt(delta2*_bg) + alpha_g. No covariates are modelled (the
outcome must not be used at transform time); see ``site_outcome_confounding``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

log = logging.getLogger(__name__)


def _eb_shrink(z: np.ndarray, gamma_hat: np.ndarray, delta_hat: np.ndarray, tol: float = 1e-4, max_iter: int = 100):
    """Empirical-Bayes gamma*, delta2* for one site; z is (n_b, p) standardised data."""
    if gamma_hat.size < 2:  # priors need several features
        return gamma_hat, delta_hat
    gamma_bar, tau2 = gamma_hat.mean(), gamma_hat.var(ddof=1)
    m, s2 = delta_hat.mean(), delta_hat.var(ddof=1)
    if not np.isfinite(tau2) or tau2 <= 0 or not np.isfinite(s2) or s2 <= 0:
        return gamma_hat, delta_hat
    a, b = (2 * s2 + m**2) / s2, (m * s2 + m**3) / s2
    n = np.sum(~np.isnan(z), axis=0)
    gamma, delta = gamma_hat.copy(), delta_hat.copy()
    for _ in range(max_iter):
        gamma_new = (n * tau2 * gamma_hat + delta * gamma_bar) / (n * tau2 + delta)
        ss = np.nansum((z - gamma_new) ** 2, axis=0)
        delta_new = (b + 0.5 * ss) / (n / 2 + a - 1)
        change = max(np.max(np.abs(gamma_new - gamma) / np.maximum(np.abs(gamma), 1e-12)),
                     np.max(np.abs(delta_new - delta) / np.maximum(delta, 1e-12)))
        gamma, delta = gamma_new, delta_new
        if change < tol:
            break
    return gamma, delta


class ComBat(TransformerMixin, BaseEstimator):
    """Remove additive and multiplicative site effects (parametric empirical-Bayes ComBat).

    The site of each row is read from one column of X (``site_column``: a name for DataFrames
    or a position), which is dropped from the output. Sites with a single training case and
    sites unseen at fit time are left unadjusted (logged). NaNs are ignored and kept.

    Args:
        site_column: column holding the site label.
        empirical_bayes: shrink site parameters (True) or use the per-site estimates as is.
    """

    def __init__(self, site_column: str | int = "site", empirical_bayes: bool = True):
        self.site_column = site_column
        self.empirical_bayes = empirical_bayes

    def _split(self, X, reset: bool):
        if isinstance(self.site_column, str):
            if not isinstance(X, pd.DataFrame) or self.site_column not in X.columns:
                raise ValueError(f"ComBat needs a DataFrame with a {self.site_column!r} column")
            site = X[self.site_column].astype(str).to_numpy()
            values = validate_data(self, X.drop(columns=self.site_column), reset=reset, ensure_all_finite="allow-nan")
            return np.asarray(values, dtype=float), site
        values = np.asarray(validate_data(self, X, reset=reset, ensure_all_finite="allow-nan"), dtype=float)
        if values.shape[1] < 2:
            raise ValueError("ComBat got 1 feature(s): it needs features besides the site column")
        site = values[:, self.site_column].astype(str)
        return np.delete(values, self.site_column, axis=1), site

    def fit(self, X, y=None):
        values, site = self._split(X, reset=True)
        self.sites_, counts = np.unique(site, return_counts=True)
        batch_mean = {s: np.nanmean(values[site == s], axis=0) for s in self.sites_}
        self.grand_mean_ = np.nanmean(values, axis=0)
        resid = values - np.vstack([batch_mean[s] for s in site])
        sd = np.sqrt(np.nanmean(resid**2, axis=0))
        self.pooled_sd_ = np.where((sd > 0) & np.isfinite(sd), sd, 1.0)
        self.grand_mean_ = np.nan_to_num(self.grand_mean_)
        z = (values - self.grand_mean_) / self.pooled_sd_
        self.gamma_, self.delta2_ = {}, {}
        for s, n in zip(self.sites_, counts, strict=False):
            if n < 2:
                log.info("ComBat: site %s has %d training case(s); left unadjusted", s, n)
                continue
            zs = z[site == s]
            gamma_hat = np.nan_to_num(np.nanmean(zs, axis=0))
            delta_hat = np.nan_to_num(np.nanvar(zs, axis=0, ddof=1), nan=1.0)
            delta_hat = np.where(delta_hat > 0, delta_hat, 1.0)
            if self.empirical_bayes:
                gamma_hat, delta_hat = _eb_shrink(zs, gamma_hat, delta_hat)
            self.gamma_[s], self.delta2_[s] = gamma_hat, delta_hat
        return self

    def transform(self, X):
        check_is_fitted(self)
        values, site = self._split(X, reset=False)
        z = (values - self.grand_mean_) / self.pooled_sd_
        unseen = sorted(set(site) - set(self.gamma_))
        if unseen and set(unseen) - set(self.sites_):
            log.warning("ComBat: site(s) %s not seen in training; left unadjusted", sorted(set(unseen) - set(self.sites_)))
        for s in set(site) & set(self.gamma_):
            rows = site == s
            z[rows] = (z[rows] - self.gamma_[s]) / np.sqrt(self.delta2_[s])
        return z * self.pooled_sd_ + self.grand_mean_

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        if hasattr(self, "feature_names_in_"):
            names = list(self.feature_names_in_)
            if not isinstance(self.site_column, str):
                del names[self.site_column]
            return np.asarray(names, dtype=object)
        return np.asarray([f"x{i}" for i in range(self.n_features_in_) if i != self.site_column % self.n_features_in_], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def site_outcome_confounding(site: np.ndarray, y: np.ndarray) -> float:
    """Cramér's V between site and outcome; logs a warning when it is >= 0.5 or a site has one
    class (ComBat would then remove outcome signal along with the site effect)."""
    table = pd.crosstab(pd.Series(site, name="site"), pd.Series(y, name="label"))
    if table.shape[0] < 2 or table.shape[1] < 2:
        return 0.0
    from scipy.stats import chi2_contingency

    chi2 = chi2_contingency(table, correction=False)[0]
    v = float(np.sqrt(chi2 / (table.to_numpy().sum() * (min(table.shape) - 1))))
    single = list(table.index[(table == 0).any(axis=1)])
    if v >= 0.5 or single:
        log.warning("site and outcome are confounded (Cramér's V %.2f; single-class sites: %s): "
                    "ComBat may remove outcome signal", v, single)
    return v
