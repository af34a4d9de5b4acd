"""Decision-curve analysis (Vickers & Elkin 2006): net benefit of acting on a model's predicted
risk at threshold probability t, NB(t) = TP/N - FP/N * t / (1 - t), against treating everyone
(NB = prevalence - (1 - prevalence) t / (1 - t)) and no one (NB = 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

THRESHOLDS = np.round(np.arange(0.02, 0.81, 0.02), 2)


def net_benefit(y: np.ndarray, prob: np.ndarray, thresholds: np.ndarray = THRESHOLDS) -> np.ndarray:
    """Net benefit of treating cases with ``prob >= t`` at each threshold t.

    Example:
        >>> net_benefit(np.array([1, 0, 1, 0]), np.array([.9, .1, .8, .6]), np.array([.5]))
        array([0.25])
    """
    y = np.asarray(y).astype(bool)
    prob = np.asarray(prob, dtype=float)
    n = len(y)
    out = []
    for t in thresholds:
        treat = prob >= t
        tp, fp = np.sum(treat & y), np.sum(treat & ~y)
        out.append(tp / n - fp / n * t / (1 - t))
    return np.asarray(out)


def decision_curves(per_model: dict[str, pd.DataFrame], thresholds: np.ndarray = THRESHOLDS) -> pd.DataFrame:
    """Long table: model, threshold, net_benefit; includes 'treat all' and 'treat none'."""
    rows = []
    for name, df in per_model.items():
        rows.append(pd.DataFrame({"model": name, "threshold": thresholds,
                                  "net_benefit": net_benefit(df["label"], df["score"], thresholds)}))
    any_df = next(iter(per_model.values()))
    prevalence = float(np.mean(any_df["label"]))
    rows.append(pd.DataFrame({"model": "treat all", "threshold": thresholds,
                              "net_benefit": prevalence - (1 - prevalence) * thresholds / (1 - thresholds)}))
    rows.append(pd.DataFrame({"model": "treat none", "threshold": thresholds, "net_benefit": 0.0}))
    return pd.concat(rows, ignore_index=True)
