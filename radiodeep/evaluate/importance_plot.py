"""The importance figure: per model, the most often selected features with their median
importance and interquartile range over outer-fold models (``importance.csv``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from radiodeep.evaluate.plots import _save

TOP = 10


def plot_importance(table: pd.DataFrame, out_png: str | Path, top: int = TOP) -> None:
    """One panel per feature set x classifier: the ``top`` features by selection frequency, bars
    at the median importance, whiskers at the quartiles, the selection frequency as a label."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(table.groupby(["feature_set", "classifier"], sort=False)) if len(table) else []
    fig, axes = plt.subplots(max(len(models), 1), 1, figsize=(7.5, 0.6 + 0.32 * top * max(len(models), 1) + 0.5 * len(models)),
                             dpi=120, squeeze=False)
    if not models:
        axes[0, 0].text(0.5, 0.5, "no feature importance (no models)", ha="center", va="center")
        axes[0, 0].set_axis_off()
    for ax, ((fs, clf), rows) in zip(axes[:, 0], models, strict=False):
        rows = rows.head(top).iloc[::-1]
        pos = np.arange(len(rows))
        median = rows["importance_median"].to_numpy(float)
        err = np.vstack([median - rows["importance_q1"].to_numpy(float), rows["importance_q3"].to_numpy(float) - median])
        ax.barh(pos, median, xerr=np.abs(err), color="#4c72b0", ecolor="#333333", capsize=2)
        ax.set_yticks(pos, [f"{f}  ({s:.0%})" for f, s in zip(rows["feature"], rows["selection_frequency"], strict=False)], fontsize=7)
        ax.axvline(0, color="#888888", lw=0.8)
        kind = rows["importance_kind"].iloc[0]
        ax.set_xlabel("standardised coefficient" if kind == "coefficient" else "AUC drop when shuffled (held-out fold)", fontsize=8)
        ax.set_title(f"{fs} / {clf}: median, IQR over {int(rows['n_models'].iloc[0])} fold models (% selected)", fontsize=8)
    _save(fig, out_png, None)
