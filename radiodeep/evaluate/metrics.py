"""AUC and its 95% confidence interval by bootstrap over patients."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score


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
        stats.append(roc_auc_score(y[idx], score[idx]))
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
