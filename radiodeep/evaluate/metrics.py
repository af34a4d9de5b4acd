"""AUC and its 95% confidence interval by bootstrap over patients."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


def rank_auc(y: np.ndarray, score: np.ndarray) -> float:
    """AUC as the Mann-Whitney statistic from midranks (equals ``roc_auc_score``, ties count 1/2)."""
    from scipy.stats import rankdata

    pos = np.asarray(y).astype(bool)
    m, n = pos.sum(), (~pos).sum()
    return float((rankdata(score)[pos].sum() - m * (m + 1) / 2) / (m * n))


def bootstrap_auc_ci(
    y: np.ndarray, score: np.ndarray, groups: np.ndarray, n_boot: int = 2000, seed: int = 0, alpha: float = 0.05
) -> tuple[float, float, float]:
    """AUC and its percentile bootstrap CI, resampling patients (all of a patient's cases together).

    Example:
        >>> y = np.array([0, 0, 1, 1]); s = np.array([0.1, 0.4, 0.35, 0.8])
        >>> round(bootstrap_auc_ci(y, s, np.arange(4), n_boot=200)[0], 2)
        0.75
    """
    y = np.asarray(y)
    score = np.asarray(score, dtype=float)
    auc = float(roc_auc_score(y, score))
    uniq, inverse = np.unique(np.asarray(groups), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        idx = np.concatenate([members[g] for g in pick])
        if y[idx].min() == y[idx].max():
            continue
        stats.append(rank_auc(y[idx], score[idx]))
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return auc, float(low), float(high)


def mean_oof_scores(oof: pd.DataFrame) -> pd.DataFrame:
    """One score per case: the mean of its out-of-fold scores over repeats."""
    return oof.groupby(["case_id", "patient_id", "label"], as_index=False, sort=True)["score"].mean()


def summarise_predictions(oof: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> dict:
    """AUC (of repeat-averaged OOF scores) with bootstrap CI, and the per-repeat AUC spread."""
    per_case = mean_oof_scores(oof)
    auc, low, high = bootstrap_auc_ci(per_case["label"].to_numpy(), per_case["score"].to_numpy(), per_case["patient_id"].to_numpy(), n_boot, seed)
    per_repeat = [roc_auc_score(g["label"], g["score"]) for _, g in oof.groupby("repeat")]
    return {
        "auc": auc, "auc_ci_low": low, "auc_ci_high": high,
        "n": int(len(per_case)), "n_pos": int(per_case["label"].sum()),
        "auc_repeat_mean": float(np.mean(per_repeat)), "auc_repeat_sd": float(np.std(per_repeat, ddof=1)) if len(per_repeat) > 1 else 0.0,
        "n_repeats": int(oof["repeat"].nunique()),
    }


def youden_threshold(y: np.ndarray, score: np.ndarray) -> float:
    """Score threshold maximising Youden's J = sensitivity + specificity - 1 (``score >= t`` is positive).

    Example:
        >>> youden_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
        0.35
    """
    from sklearn.metrics import roc_curve

    fpr, tpr, thresholds = roc_curve(y, score)
    return float(min(thresholds[int(np.argmax(tpr - fpr))], 1.0))


def threshold_metrics(y: np.ndarray, predicted: np.ndarray) -> dict:
    """Sensitivity, specificity, PPV and NPV of 0/1 predictions (NaN when a denominator is 0)."""
    y, predicted = np.asarray(y).astype(bool), np.asarray(predicted).astype(bool)
    tp, fn = np.sum(y & predicted), np.sum(y & ~predicted)
    tn, fp = np.sum(~y & ~predicted), np.sum(~y & predicted)

    def ratio(a, b):
        return float(a / b) if b else float("nan")

    return {"sensitivity": ratio(tp, tp + fn), "specificity": ratio(tn, tn + fp),
            "ppv": ratio(tp, tp + fp), "npv": ratio(tn, tn + fn)}


def calibration_slope_intercept(y: np.ndarray, prob: np.ndarray) -> tuple[float, float]:
    """Calibration slope (logistic regression of y on logit p) and calibration-in-the-large
    intercept (logit P(y) = a + logit p, p as offset), both by maximum likelihood.

    A perfectly calibrated model has slope 1 and intercept 0; slope < 1 means overfitting.
    """
    from scipy.optimize import minimize
    from scipy.special import expit, logit

    y = np.asarray(y, dtype=float)
    lp = logit(np.clip(np.asarray(prob, dtype=float), 1e-6, 1 - 1e-6))

    def nll(params, offset_only=False):
        a, b = (params[0], 1.0) if offset_only else params
        p = np.clip(expit(a + b * lp), 1e-12, 1 - 1e-12)
        return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))

    slope = minimize(nll, [0.0, 1.0], method="BFGS").x[1]
    intercept = minimize(lambda a: nll(a, offset_only=True), [0.0], method="BFGS").x[0]
    return float(slope), float(intercept)


def clinical_metrics(oof: pd.DataFrame) -> dict:
    """Threshold metrics pooled over all out-of-fold predictions (each fold's threshold chosen on
    its training part), Brier score and calibration of the repeat-averaged scores."""
    pooled = threshold_metrics(oof["label"].to_numpy(), (oof["score"] >= oof["threshold"]).to_numpy())
    per_case = mean_oof_scores(oof)
    y, p = per_case["label"].to_numpy(), per_case["score"].to_numpy()
    slope, intercept = calibration_slope_intercept(y, p)
    return {**pooled, "threshold_median": float(oof["threshold"].median()), "brier": float(np.mean((p - y) ** 2)),
            "calibration_slope": slope, "calibration_intercept": intercept}


def score_warning(score: np.ndarray, threshold: np.ndarray | float) -> str:
    """A plain-words warning for a model whose scores cannot separate cases, or '' when none.

    Constant scores (every case the same: no feature carried signal in the training data, or a
    penalty strong enough to drop them all) make the AUC 0.5 by construction and push Youden's
    threshold to 1.0; a threshold above every score predicts no case positive.
    """
    score = np.asarray(score, float)
    if len(score) == 0:
        return ""
    if float(np.ptp(score)) < 1e-9:
        return (f"constant score {score[0]:.3f} for all {len(score)} cases: the model found no signal "
                "(AUC 0.5 by construction, no case predicted positive); check the features and the label")
    positive = int(np.sum(score >= np.asarray(threshold, float)))
    if positive == 0:
        return (f"no case predicted positive: threshold {float(np.median(threshold)):.3f} is above every score "
                f"(max {score.max():.3f}); sensitivity is 0 at the training threshold")
    return ""
