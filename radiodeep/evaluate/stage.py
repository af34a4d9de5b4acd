"""The evaluate stage: metrics table and ROC figure from out-of-fold predictions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from radiodeep.evaluate.metrics import mean_oof_scores, summarise_predictions
from radiodeep.evaluate.plots import plot_roc
from radiodeep.io import write_table

METRIC_COLUMNS = ["feature_set", "classifier", "auc", "auc_ci_low", "auc_ci_high", "n", "n_pos",
                  "auc_repeat_mean", "auc_repeat_sd", "n_repeats"]


def run_evaluate(oof_path: str | Path, out_metrics: str | Path, out_png: str | Path, out_svg: str | Path,
                 n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """One metrics row per feature set x classifier; ROC curves of all of them in one figure."""
    oof = pd.read_csv(oof_path)
    rows, curves = [], {}
    for (fs, clf), df in oof.groupby(["feature_set", "classifier"], sort=False):
        rows.append({"feature_set": fs, "classifier": clf, **summarise_predictions(df, n_boot, seed)})
        curves[f"{fs} / {clf}"] = mean_oof_scores(df)
    metrics = pd.DataFrame(rows)[METRIC_COLUMNS]
    write_table(metrics, out_metrics)
    plot_roc(curves, metrics.assign(model=metrics["feature_set"] + " / " + metrics["classifier"]), out_png, out_svg, seed)
    return metrics
