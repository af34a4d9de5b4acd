"""ROC figures with bootstrap confidence bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from radiodeep.io import atomic_path


def roc_band(y: np.ndarray, score: np.ndarray, groups: np.ndarray, n_boot: int = 500, seed: int = 0, grid: np.ndarray | None = None):
    """Mean ROC on an FPR grid with a 95% band from bootstrapping patients (vertical averaging)."""
    grid = np.linspace(0, 1, 101) if grid is None else grid
    uniq, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    curves = []
    for _ in range(n_boot):
        idx = np.concatenate([members[g] for g in rng.integers(0, len(uniq), len(uniq))])
        if y[idx].min() == y[idx].max():
            continue
        fpr, tpr, _ = roc_curve(y[idx], score[idx])
        curves.append(np.interp(grid, fpr, tpr))
    curves = np.array(curves)
    return grid, np.quantile(curves, 0.025, axis=0), np.quantile(curves, 0.975, axis=0)


def plot_roc(curves: dict[str, pd.DataFrame], metrics: pd.DataFrame, out_png: str | Path, out_svg: str | Path | None = None, seed: int = 0) -> None:
    """Overlay ROC curves (one per model) with 95% bootstrap bands; legend shows AUC [CI].

    Args:
        curves: model name -> per-case frame with label, score, patient_id.
        metrics: rows with ``model``, ``auc``, ``auc_ci_low``, ``auc_ci_high``.
    """
    fig, ax = _figure()
    for name, df in curves.items():
        y, s, g = df["label"].to_numpy(), df["score"].to_numpy(), df["patient_id"].to_numpy()
        fpr, tpr, _ = roc_curve(y, s)
        m = metrics.set_index("model").loc[name]
        (line,) = ax.plot(fpr, tpr, lw=2, label=f"{name}: AUC {m['auc']:.2f} [{m['auc_ci_low']:.2f}, {m['auc_ci_high']:.2f}]")
        grid, low, high = roc_band(y, s, g, seed=seed)
        ax.fill_between(grid, low, high, color=line.get_color(), alpha=0.15, lw=0)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="chance")
    ax.set(xlabel="1 - specificity (false positive rate)", ylabel="sensitivity (true positive rate)",
           xlim=(0, 1), ylim=(0, 1.01), title="Out-of-fold ROC, 95% patient-bootstrap bands")
    ax.legend(loc="lower right", fontsize=8)
    _save(fig, out_png, out_svg)


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(5.5, 5.5), dpi=120)


def _save(fig, out_png, out_svg) -> None:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    for out in (out_png, out_svg):
        if out is None:
            continue
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format=Path(out).suffix.lstrip("."))
    plt.close(fig)


def plot_calibration(curves: dict[str, pd.DataFrame], out_png: str | Path, out_svg: str | Path | None = None, n_bins: int = 5) -> None:
    """Observed event rate against mean predicted probability in quantile bins, one line per model."""
    from sklearn.calibration import calibration_curve

    fig, ax = _figure()
    for name, df in curves.items():
        observed, predicted = calibration_curve(df["label"], df["score"], n_bins=n_bins, strategy="quantile")
        ax.plot(predicted, observed, marker="o", lw=1.5, label=name)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    ax.set(xlabel="mean predicted probability", ylabel="observed fraction positive", xlim=(0, 1), ylim=(0, 1),
           title=f"Calibration of out-of-fold probabilities ({n_bins} quantile bins)")
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, out_png, out_svg)


def plot_decision_curves(table: pd.DataFrame, out_png: str | Path, out_svg: str | Path | None = None) -> None:
    """Net benefit against threshold probability (table from ``decision_curves``)."""
    fig, ax = _figure()
    for name, df in table.groupby("model", sort=False):
        style = {"ls": "--", "color": "grey"} if name == "treat all" else {"ls": ":", "color": "black"} if name == "treat none" else {}
        ax.plot(df["threshold"], df["net_benefit"], lw=1.5, label=name, **style)
    top = table["net_benefit"].max()
    ax.set(xlabel="threshold probability", ylabel="net benefit", ylim=(-0.05, max(0.05, top * 1.1)),
           title="Decision curves (out-of-fold probabilities)")
    ax.legend(loc="upper right", fontsize=8)
    _save(fig, out_png, out_svg)
