"""DeLong's test for two correlated ROC AUCs (DeLong, DeLong & Clarke-Pearson 1988, Biometrics
44:837), with the structural components of Sen (1960) computed from midranks (Sun & Xu 2014).

For m positives X_i and n negatives Y_j, psi(X, Y) = 1 if X > Y, 1/2 if X = Y, else 0. Per
model r: AUC_r = mean_ij psi, V10_r(X_i) = mean_j psi(X_i, Y_j), V01_r(Y_j) = mean_i psi(X_i, Y_j).
S10 and S01 are the sample covariance matrices (ddof 1) of V10 and V01 across models; the AUC
covariance is S = S10 / m + S01 / n. For two models z = (AUC_1 - AUC_2) / sqrt(S11 + S22 - 2 S12),
two-sided p = 2 (1 - Phi(|z|)).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm, rankdata


def delong_covariance(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs and their DeLong covariance matrix.

    Args:
        y: 0/1 labels (n_cases,).
        scores: (n_models, n_cases) or (n_cases,).

    Returns:
        (aucs (k,), covariance (k, k)).
    """
    y = np.asarray(y).astype(bool)
    scores = np.atleast_2d(np.asarray(scores, dtype=float))
    m, n = int(y.sum()), int((~y).sum())
    if m < 2 or n < 2:
        raise ValueError("DeLong needs at least two positive and two negative cases")
    pos, neg = scores[:, y], scores[:, ~y]
    rank_all = rankdata(np.concatenate([pos, neg], axis=1), axis=1)
    rank_pos, rank_neg = rankdata(pos, axis=1), rankdata(neg, axis=1)
    v10 = (rank_all[:, :m] - rank_pos) / n  # per positive: share of negatives below (ties 1/2)
    v01 = 1.0 - (rank_all[:, m:] - rank_neg) / m  # per negative: share of positives above
    aucs = v10.mean(axis=1)
    cov = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return aucs, cov


def delong_test(y: np.ndarray, score_a: np.ndarray, score_b: np.ndarray) -> dict:
    """Paired DeLong test of AUC(a) = AUC(b) on the same cases.

    Example:
        >>> y = np.array([0, 0, 0, 1, 1, 1]); a = np.array([.1, .2, .6, .4, .8, .9])
        >>> round(delong_test(y, a, a[::-1])["auc_a"], 3)
        0.889
    """
    aucs, cov = delong_covariance(y, np.vstack([score_a, score_b]))
    var_diff = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    diff = aucs[0] - aucs[1]
    if var_diff <= 0:
        z, p = (0.0, 1.0) if diff == 0 else (np.inf * np.sign(diff), 0.0)
    else:
        z = diff / np.sqrt(var_diff)
        p = 2 * norm.sf(abs(z))
    return {"auc_a": float(aucs[0]), "auc_b": float(aucs[1]), "var_a": float(cov[0, 0]), "var_b": float(cov[1, 1]),
            "covariance": float(cov[0, 1]), "auc_diff": float(diff), "z": float(z), "p": float(p)}
