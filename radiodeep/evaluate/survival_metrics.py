"""Discrimination of risk scores for a time-to-event outcome: Harrell's and Uno's C with percentile
bootstrap CIs over patients, and the time-dependent AUC.

Harrell's C (as scikit-survival's ``concordance_index_censored``): a pair (i, j) is comparable when
i had the event and j was still at risk after it (t_j > t_i, or t_j = t_i and j censored); it is
concordant when risk_i > risk_j and counts 1/2 when the risks tie (|difference| <= 1e-8).
C = (concordant + ties / 2) / comparable. Computed here for many score columns at once, as the
in-fold feature selection needs it for every feature, and with weights for Uno's C (inverse
probability of censoring weights, estimated on the scored cohort). The cumulative/dynamic AUC is
scikit-survival's ``cumulative_dynamic_auc``.
"""

from __future__ import annotations

import numpy as np

TIED_TOL = 1e-8


def harrell_c_columns(event: np.ndarray, time: np.ndarray, risk: np.ndarray, weights: np.ndarray | None = None,
                      chunk: int = 64) -> np.ndarray:
    """Harrell's C of every column of ``risk`` (n, p) -> (p,); NaN where no pair is comparable.
    With ``weights`` each comparable pair counts the weight of its earlier case (Uno's C).

    Example:
        >>> harrell_c_columns(np.array([1, 1, 0]), np.array([1.0, 2.0, 3.0]), np.array([[3.0], [2.0], [1.0]]))
        array([1.])
    """
    event = np.asarray(event).astype(bool)
    time = np.asarray(time, dtype=float)
    risk = np.asarray(risk, dtype=float).reshape(len(time), -1)
    comparable = event[:, None] & ((time[None, :] > time[:, None]) | ((time[None, :] == time[:, None]) & ~event[None, :]))
    rows, cols = np.nonzero(comparable)
    w = np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=float)[rows]
    if len(rows) == 0 or w.sum() == 0:
        return np.full(risk.shape[1], np.nan)
    out = np.empty(risk.shape[1])
    for start in range(0, risk.shape[1], chunk):
        diff = risk[rows, start:start + chunk] - risk[cols, start:start + chunk]
        tied = np.abs(diff) <= TIED_TOL
        out[start:start + chunk] = w @ (((diff > 0) & ~tied) + 0.5 * tied)
    return out / w.sum()


def harrell_c(y: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's C of one risk score against a structured outcome (fields ``event``, ``time``)."""
    return float(harrell_c_columns(y["event"], y["time"], np.asarray(risk, dtype=float)[:, None])[0])


def uno_c(y: np.ndarray, risk: np.ndarray, tau: float) -> float:
    """Uno's C truncated at ``tau``: Harrell's pairs of events before ``tau``, each weighted by
    1 / G(t)^2, G the Kaplan-Meier censoring distribution of ``y`` itself (as scikit-survival's
    ``concordance_index_ipcw(y, y, risk, tau)``, vectorised)."""
    from sksurv.nonparametric import CensoringDistributionEstimator

    before = y["time"] < tau
    weights = np.zeros(len(y))
    weights[before] = CensoringDistributionEstimator().fit(y).predict_ipcw(y[before]) ** 2
    return float(harrell_c_columns(y["event"], y["time"], np.asarray(risk, dtype=float)[:, None], weights)[0])


def td_auc(y: np.ndarray, risk: np.ndarray, horizons) -> np.ndarray:
    """Cumulative/dynamic AUC at each horizon (events by t against those still event-free at t)."""
    from sksurv.metrics import cumulative_dynamic_auc

    return np.asarray(cumulative_dynamic_auc(y, y, np.asarray(risk, dtype=float), np.asarray(horizons, dtype=float))[0])


def usable_horizons(y: np.ndarray, horizons) -> list[float]:
    """Horizons with an event before and someone still followed after (where the AUC is defined)."""
    t_event = y["time"][y["event"]]
    return [float(h) for h in horizons if len(t_event) and t_event.min() <= h < y["time"].max()]


def survival_discrimination(y: np.ndarray, risk: np.ndarray, groups: np.ndarray, horizons=(), n_boot: int = 1000,
                            seed: int = 0, alpha: float = 0.05) -> dict:
    """Harrell's C and Uno's C (truncated at the largest usable horizon, else the largest event
    time), each with a percentile bootstrap CI resampling patients (all of a patient's cases
    together; a replicate where a C is undefined is left out of its CI), and the time-dependent
    AUC at each usable horizon.

    Returns:
        dict with c_index, c_index_ci_low/high, uno_c, uno_c_ci_low/high, uno_tau, and
        ``auc_<h>`` for each usable horizon h.
    """
    risk = np.asarray(risk, dtype=float)
    horizons = usable_horizons(y, horizons)
    tau = max(horizons) if horizons else float(y["time"][y["event"]].max())

    def both(idx: np.ndarray) -> tuple[float, float]:
        try:
            uno = uno_c(y[idx], risk[idx], tau)
        except ValueError:  # censoring distribution zero before tau in this sample
            uno = np.nan
        return harrell_c(y[idx], risk[idx]), uno

    point = both(np.arange(len(risk)))
    uniq, inverse = np.unique(np.asarray(groups), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        boot = np.array([both(np.concatenate([members[g] for g in rng.integers(0, len(uniq), len(uniq))]))
                         for _ in range(n_boot)]).reshape(n_boot, 2)
    out: dict = {}
    for k, name in enumerate(("c_index", "uno_c")):
        finite = boot[np.isfinite(boot[:, k]), k]
        low, high = np.quantile(finite, [alpha / 2, 1 - alpha / 2]) if len(finite) else (np.nan, np.nan)
        out.update({name: point[k], f"{name}_ci_low": float(low), f"{name}_ci_high": float(high)})
    out["uno_tau"] = tau
    if horizons:
        out.update({f"auc_{h:g}": float(a) for h, a in zip(horizons, td_auc(y, risk, horizons), strict=True)})
    return out
