"""The evaluate stage: metrics, DeLong comparisons, decision curves and figures from the model
stage's out-of-fold, permutation and external-test predictions."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from radiodeep.evaluate.decision import decision_curves
from radiodeep.evaluate.delong import delong_test
from radiodeep.evaluate.importance_plot import plot_importance
from radiodeep.evaluate.metrics import (
    bootstrap_auc_ci,
    clinical_metrics,
    mean_oof_scores,
    score_warning,
    summarise_predictions,
)
from radiodeep.evaluate.plots import plot_calibration, plot_decision_curves, plot_roc
from radiodeep.io import read_table_metadata, write_table
from radiodeep.model.pipelines import BASELINES

log = logging.getLogger(__name__)

METRIC_COLUMNS = ["feature_set", "classifier", "auc", "auc_ci_low", "auc_ci_high", "n", "n_pos",
                  "auc_repeat_mean", "auc_repeat_sd", "n_repeats",
                  "sensitivity", "specificity", "ppv", "npv", "threshold_median", "brier",
                  "calibration_slope", "calibration_intercept",
                  "perm_p", "null_auc_mean", "null_auc_q95", "n_permutations",
                  "test_auc", "test_auc_ci_low", "test_auc_ci_high", "test_n", "baseline", "warning"]
FUSED = ("early_fusion", "late_fusion")
DELONG_COLUMNS = ["classifier", "model_a", "model_b", "n", "auc_a", "auc_b", "var_a", "var_b", "covariance",
                  "auc_diff", "z", "p"]


def _read(path: str | Path | None) -> pd.DataFrame:
    if path is None or not Path(path).exists() or Path(path).stat().st_size == 0:
        return pd.DataFrame()
    return pd.read_csv(path)


def permutation_summary(real_auc: float, null: np.ndarray) -> dict:
    """Permutation p = (1 + #{null >= real}) / (N + 1) (Phipson & Smyth 2010)."""
    if len(null) == 0:
        return {"perm_p": np.nan, "null_auc_mean": np.nan, "null_auc_q95": np.nan, "n_permutations": 0}
    return {"perm_p": float((1 + np.sum(null >= real_auc)) / (len(null) + 1)), "null_auc_mean": float(np.mean(null)),
            "null_auc_q95": float(np.quantile(null, 0.95)), "n_permutations": int(len(null))}


def delong_table(per_case: dict[tuple[str, str], pd.DataFrame]) -> pd.DataFrame:
    """DeLong paired test of each fused model against each single-source model (same classifier)."""
    rows = []
    for (fs_a, clf), a in per_case.items():
        if fs_a not in FUSED:
            continue
        for (fs_b, clf_b), b in per_case.items():
            if clf_b != clf or fs_b in FUSED:
                continue
            both = a.merge(b[["case_id", "score"]], on="case_id", suffixes=("_a", "_b"))
            res = delong_test(both["label"].to_numpy(), both["score_a"].to_numpy(), both["score_b"].to_numpy())
            rows.append({"classifier": clf, "model_a": fs_a, "model_b": fs_b, "n": len(both), **res})
    return pd.DataFrame(rows, columns=DELONG_COLUMNS)


def run_evaluate(oof_path: str | Path, outdir: str | Path, null_path: str | Path | None = None,
                 test_path: str | Path | None = None, n_boot: int = 2000, seed: int = 0,
                 importance_path: str | Path | None = None) -> pd.DataFrame:
    """Write metrics.csv, delong.csv, decision_curve.csv and roc/calibration/decision_curve .png/.svg
    (and importance.png from ``importance_path``) to ``outdir``; return the metrics table (one row
    per feature set x classifier; ``baseline`` marks the plain baselines, which are left out of
    the figures and DeLong tests).

    AUC, calibration, Brier and net benefit use each case's out-of-fold score averaged over
    repeats; sensitivity, specificity, PPV and NPV pool every repeat's out-of-fold calls, each made
    at the threshold chosen on its fold's training data. The permutation p-value compares the mean
    per-repeat AUC with the null AUCs (one repeat each). DeLong treats cases as independent.
    """
    outdir = Path(outdir)
    oof, null, test = pd.read_csv(oof_path), _read(null_path), _read(test_path)
    rows, curves = [], {}
    for (fs, clf), df in oof.groupby(["feature_set", "classifier"], sort=False):
        summary = summarise_predictions(df, n_boot, seed)
        row = {"feature_set": fs, "classifier": clf, **summary, **clinical_metrics(df), "baseline": clf in BASELINES}
        null_auc = null.loc[(null["feature_set"] == fs) & (null["classifier"] == clf), "auc"].to_numpy() if len(null) else np.array([])
        row.update(permutation_summary(summary["auc_repeat_mean"], null_auc))
        t = test[(test["feature_set"] == fs) & (test["classifier"] == clf)] if len(test) else test
        if len(t) and t["label"].nunique() == 2:
            auc, low, high = bootstrap_auc_ci(t["label"].to_numpy(), t["score"].to_numpy(), t["patient_id"].to_numpy(), n_boot, seed)
            row.update(test_auc=auc, test_auc_ci_low=low, test_auc_ci_high=high, test_n=len(t))
        row["warning"] = score_warning(df["score"].to_numpy(), df["threshold"].to_numpy())
        if row["warning"]:
            log.warning("%s / %s: %s", fs, clf, row["warning"])
        rows.append(row)
        if clf not in BASELINES:  # baselines are in metrics.csv, not in the curves and DeLong tests
            curves[(fs, clf)] = mean_oof_scores(df)
    metrics = pd.DataFrame(rows).reindex(columns=METRIC_COLUMNS)
    # the tables made from oof_predictions.csv record the provenance it records (provenance-of)
    link = {k.removeprefix("radiodeep."): v for k, v in read_table_metadata(oof_path).items()}
    write_table(metrics, outdir / "metrics.csv", **link)
    write_table(delong_table(curves), outdir / "delong.csv", **link)
    named = {f"{fs} / {clf}": df for (fs, clf), df in curves.items()}
    dca = decision_curves(named)
    write_table(dca, outdir / "decision_curve.csv", **link)
    plot_roc(named, metrics.assign(model=metrics["feature_set"] + " / " + metrics["classifier"]),
             outdir / "roc.png", outdir / "roc.svg", seed)
    plot_calibration(named, outdir / "calibration.png", outdir / "calibration.svg")
    plot_decision_curves(dca, outdir / "decision_curve.png", outdir / "decision_curve.svg")
    if importance_path is not None:
        importance = _read(importance_path)
        if len(importance):
            importance = importance[~importance["classifier"].isin(BASELINES)]
        plot_importance(importance, outdir / "importance.png")
    log.info("evaluated %d model(s)", len(metrics))
    return metrics
