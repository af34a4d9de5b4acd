"""Evaluate out-of-fold Cox risk scores: C-indices and time-dependent AUC with patient-bootstrap
CIs, Kaplan-Meier curves of the out-of-fold risk groups with the log-rank test, permutation p.

Risk groups: in each fold a test case is "high" when its risk exceeds the median risk of that
fold's training part (a cut fixed before the case is seen); over repeats a case is high when it
was high in at least half of them. The C-indices use each case's risk averaged over repeats.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from radiodeep.evaluate.survival_metrics import harrell_c, survival_discrimination
from radiodeep.io import atomic_path, write_table
from radiodeep.model.survival import surv

log = logging.getLogger(__name__)
KEYS = ["endpoint", "feature_set", "model"]
METRIC_COLUMNS = [*KEYS, "c_index", "c_index_ci_low", "c_index_ci_high", "n", "n_events",
                  "uno_c", "uno_c_ci_low", "uno_c_ci_high", "uno_tau", "c_index_repeat_mean", "c_index_repeat_sd",
                  "n_repeats", "n_high", "n_low", "logrank_chisq", "logrank_p",
                  "perm_p", "null_c_mean", "null_c_q95", "n_permutations"]


def per_case_risk(oof: pd.DataFrame) -> pd.DataFrame:
    """One row per case: mean out-of-fold risk over repeats and the majority risk group."""
    out = oof.groupby(["case_id", "patient_id", "time", "event"], as_index=False, sort=True).agg(
        risk=("risk", "mean"), high_share=("high", "mean"))
    return out.assign(group=np.where(out["high_share"] >= 0.5, "high", "low"))


def logrank(cases: pd.DataFrame) -> tuple[float, float]:
    """Log-rank chi-square and p of the high vs low groups (NaN with a single group)."""
    from sksurv.compare import compare_survival

    if cases["group"].nunique() < 2:
        return np.nan, np.nan
    chisq, p = compare_survival(surv(cases["time"], cases["event"]), cases["group"].to_numpy())
    return float(chisq), float(p)


def survival_summary(oof: pd.DataFrame, null: np.ndarray, horizons=(), n_boot: int = 1000, seed: int = 0) -> dict:
    """Every metric of one (endpoint, feature set, model): see ``METRIC_COLUMNS`` and the
    ``auc_<h>`` columns of ``survival_discrimination``."""
    cases = per_case_risk(oof)
    y = surv(cases["time"], cases["event"])
    row = survival_discrimination(y, cases["risk"].to_numpy(), cases["patient_id"].to_numpy(), horizons, n_boot, seed)
    per_repeat = [harrell_c(surv(g["time"], g["event"]), g["risk"].to_numpy()) for _, g in oof.groupby("repeat")]
    chisq, p = logrank(cases)
    row.update(n=len(cases), n_events=int(cases["event"].sum()), n_repeats=len(per_repeat),
               c_index_repeat_mean=float(np.mean(per_repeat)),
               c_index_repeat_sd=float(np.std(per_repeat, ddof=1)) if len(per_repeat) > 1 else 0.0,
               n_high=int((cases["group"] == "high").sum()), n_low=int((cases["group"] == "low").sum()),
               logrank_chisq=chisq, logrank_p=p)
    if len(null):
        row.update(perm_p=float((1 + np.sum(null >= row["c_index_repeat_mean"])) / (len(null) + 1)),
                   null_c_mean=float(np.mean(null)), null_c_q95=float(np.quantile(null, 0.95)), n_permutations=len(null))
    else:
        row.update(perm_p=np.nan, null_c_mean=np.nan, null_c_q95=np.nan, n_permutations=0)
    return row


def km_curves(oof: pd.DataFrame) -> pd.DataFrame:
    """Kaplan-Meier steps of each risk group: group, time, survival, ci_low, ci_high, at_risk."""
    from sksurv.nonparametric import kaplan_meier_estimator

    rows = []
    for group, g in per_case_risk(oof).groupby("group"):
        t, s, (lo, hi) = kaplan_meier_estimator(g["event"].astype(bool).to_numpy(), g["time"].to_numpy(dtype=float),
                                                conf_type="log-log")
        at_risk = [(g["time"] >= x).sum() for x in t]
        rows.append(pd.DataFrame({"group": group, "time": np.r_[0.0, t], "survival": np.r_[1.0, s],
                                  "ci_low": np.r_[1.0, lo], "ci_high": np.r_[1.0, hi], "at_risk": np.r_[len(g), at_risk]}))
    return pd.concat(rows, ignore_index=True)


def plot_km(panels: dict[tuple[str, str], tuple[pd.DataFrame, dict]], out_png: str | Path, out_svg: str | Path | None = None,
            time_unit: str = "days") -> None:
    """One panel per (endpoint, feature set): high/low risk KM curves with CI bands and log-rank p."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    endpoints = list(dict.fromkeys(k[0] for k in panels))
    sets = list(dict.fromkeys(k[1] for k in panels))
    fig, axes = plt.subplots(len(endpoints), len(sets), figsize=(4.2 * len(sets), 3.4 * len(endpoints)),
                             squeeze=False, sharey=True)
    colours = {"high": "#c0392b", "low": "#2471a3"}
    for (endpoint, fs), (curves, row) in panels.items():
        ax = axes[endpoints.index(endpoint)][sets.index(fs)]
        for group, g in curves.groupby("group"):
            label = f"{group} risk (n={int(g['at_risk'].iloc[0])})"
            ax.step(g["time"], g["survival"], where="post", color=colours[group], label=label)
            ax.fill_between(g["time"], g["ci_low"], g["ci_high"], step="post", color=colours[group], alpha=0.15)
        ax.set_title(f"{endpoint}: {fs}\nC = {row['c_index']:.2f} [{row['c_index_ci_low']:.2f}, "
                     f"{row['c_index_ci_high']:.2f}], log-rank p = {row['logrank_p']:.3g}", fontsize=9)
        ax.set_xlabel(f"time ({time_unit})")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=8, loc="lower left")
    for ax in axes[:, 0]:
        ax.set_ylabel("event-free probability")
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    if out_svg:
        with atomic_path(out_svg) as tmp:
            fig.savefig(tmp, format="svg")
    plt.close(fig)


def run_survival_evaluate(oof: pd.DataFrame, null: pd.DataFrame, outdir: str | Path, horizons=(), n_boot: int = 1000,
                          seed: int = 0, time_unit: str = "days", **link: str) -> pd.DataFrame:
    """Write survival_metrics.csv, survival_km.csv and survival_km.png|svg to ``outdir``."""
    outdir = Path(outdir)
    rows, panels, curves = [], {}, []
    for key, df in oof.groupby(KEYS, sort=False):
        mask = np.logical_and.reduce([null[k] == v for k, v in zip(KEYS, key, strict=True)]) if len(null) else None
        row = {**dict(zip(KEYS, key, strict=True)),
               **survival_summary(df, null.loc[mask, "c_index"].to_numpy() if mask is not None else np.array([]),
                                  horizons, n_boot, seed)}
        rows.append(row)
        km = km_curves(df)
        panels[(key[0], key[1])] = (km, row)
        curves.append(km.assign(endpoint=key[0], feature_set=key[1], model=key[2]))
        log.info("%s / %s: C = %.3f [%.3f, %.3f], log-rank p = %.3g", key[0], key[1], row["c_index"],
                 row["c_index_ci_low"], row["c_index_ci_high"], row["logrank_p"])
    metrics = pd.DataFrame(rows)
    extra = [c for c in metrics.columns if c not in METRIC_COLUMNS]
    metrics = metrics[[c for c in METRIC_COLUMNS if c in metrics.columns] + extra]
    write_table(metrics, outdir / "survival_metrics.csv", **link)
    write_table(pd.concat(curves, ignore_index=True), outdir / "survival_km.csv", **link)
    plot_km(panels, outdir / "survival_km.png", outdir / "survival_km.svg", time_unit)
    return metrics
