"""The report's distribution figures: Dice and HD95 of the U-Net, ICC per feature family and the
permutation null of each model. Every value is read from the run's own tables.

Example:
    >>> feature_family("wavelet-LLH_glcm_Contrast"), feature_family("original_shape_Sphericity")
    ('glcm', 'shape')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from radiodeep.io import atomic_path

UNET_COLOUR, BASELINE_COLOUR, KEPT_COLOUR, DROPPED_COLOUR = "#0072B2", "#999999", "#009E73", "#D55E00"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, out_png: str | Path, dpi: int = 110) -> None:
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    _plt().close(fig)


def _strip(ax, values: np.ndarray, y: float, colour: str, seed: int = 0) -> None:
    """Points with a little vertical jitter over a box plot at height ``y``."""
    values = values[np.isfinite(values)]
    if not len(values):
        return
    ax.boxplot(values, positions=[y], orientation="horizontal", widths=0.5, showfliers=False,
               medianprops={"color": colour}, boxprops={"color": colour}, whiskerprops={"color": colour},
               capprops={"color": colour})
    jitter = np.random.default_rng(seed).uniform(-0.18, 0.18, len(values))
    ax.scatter(values, y + jitter, s=9, color=colour, alpha=0.7, zorder=3, linewidths=0)


def plot_segmentation_distributions(dice: pd.DataFrame, out_png: str | Path, min_dice: float | None = None) -> None:
    """Dice and HD95 per case of the U-Net (and of the 40%-SUVmax baseline where computed)."""
    plt = _plt()
    fig, (ax_dice, ax_hd) = plt.subplots(1, 2, figsize=(8, 2.8))
    for ax, (unet, base, label) in zip((ax_dice, ax_hd), (("dice", "dice_baseline", "Dice"),
                                                         ("hd95_mm", "hd95_baseline_mm", "HD95 (mm)")), strict=True):
        rows = [("U-Net", pd.to_numeric(dice[unet], errors="coerce").to_numpy(float), UNET_COLOUR)]
        if base in dice and pd.to_numeric(dice[base], errors="coerce").notna().any():
            rows.append(("baseline", pd.to_numeric(dice[base], errors="coerce").to_numpy(float), BASELINE_COLOUR))
        for y, (_, values, colour) in enumerate(rows):
            _strip(ax, values, y, colour, seed=y)
        ax.set_yticks(range(len(rows)), [f"{name}\n(n={np.isfinite(v).sum()})" for name, v, _ in rows])
        ax.set_xlabel(label)
        ax.set_ylim(-0.6, len(rows) - 0.4)
    if min_dice is not None:
        ax_dice.axvline(min_dice, color=DROPPED_COLOUR, ls="--", lw=1, label=f"min_dice {min_dice:g}")
        ax_dice.legend(fontsize=7, loc="upper left")
    ax_dice.set_xlim(0, 1)
    _save(fig, out_png)


def feature_family(feature: str) -> str:
    """The feature class of a ``<imageType>_<featureClass>_<feature>`` name (the name itself otherwise)."""
    parts = feature.split("_")
    return parts[1] if len(parts) >= 3 else feature


def stability_by_family(stability: pd.DataFrame, icc_threshold: float) -> pd.DataFrame:
    """Per feature family: features, kept (ICC >= threshold), median ICC; most unstable family first."""
    s = stability.assign(family=stability["feature"].map(feature_family), kept=stability["icc"] >= icc_threshold)
    out = s.groupby("family").agg(features=("feature", "size"), kept=("kept", "sum"),
                                  icc_median=("icc", "median")).reset_index()
    out["kept"] = out["kept"].astype(int)
    return out.sort_values(["icc_median", "family"], ignore_index=True)


def plot_icc_by_family(stability: pd.DataFrame, icc_threshold: float, out_png: str | Path) -> pd.DataFrame:
    """ICC(3,1) of every feature between reference and U-Net masks, one row per family; features
    kept by the model's ICC filter in green, dropped ones in vermilion. Returns the family table."""
    plt = _plt()
    table = stability_by_family(stability, icc_threshold)
    s = stability.assign(family=stability["feature"].map(feature_family))
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(table) + 1.2))
    rng = np.random.default_rng(0)
    for y, fam in enumerate(table["family"]):
        icc = s.loc[s["family"] == fam, "icc"].to_numpy(float)
        icc = icc[np.isfinite(icc)]
        jitter = rng.uniform(-0.2, 0.2, len(icc))
        kept = icc >= icc_threshold
        ax.scatter(icc[kept], y + jitter[kept], s=10, color=KEPT_COLOUR, linewidths=0, alpha=0.8)
        ax.scatter(icc[~kept], y + jitter[~kept], s=10, color=DROPPED_COLOUR, linewidths=0, alpha=0.8)
    ax.axvline(icc_threshold, color="black", ls="--", lw=1)
    ax.set_yticks(range(len(table)), [f"{f} ({k}/{n} kept)" for f, k, n in
                                      zip(table["family"], table["kept"], table["features"], strict=True)], fontsize=8)
    ax.set_xlabel(f"ICC(3,1), reference vs U-Net mask (dashed: threshold {icc_threshold:g})")
    ax.set_xlim(min(0.0, float(np.nanmin(s["icc"])) if len(s) else 0.0) - 0.02, 1.02)
    _save(fig, out_png)
    return table


def plot_permutation_null(null: pd.DataFrame, metrics: pd.DataFrame, out_png: str | Path) -> None:
    """Histogram of the label-shuffled AUCs of each model, with the model's own AUC (repeat mean)."""
    plt = _plt()
    models = metrics[["feature_set", "classifier"]].drop_duplicates().values.tolist()
    fig, axes = plt.subplots(1, len(models), figsize=(3.2 * len(models), 2.6), squeeze=False)
    for ax, (fs, clf) in zip(axes[0], models, strict=True):
        aucs = null.loc[(null["feature_set"] == fs) & (null["classifier"] == clf), "auc"].to_numpy(float)
        row = metrics[(metrics["feature_set"] == fs) & (metrics["classifier"] == clf)].iloc[0]
        ax.hist(aucs, bins=np.linspace(0, 1, 21), color=BASELINE_COLOUR)
        ax.axvline(row["auc_repeat_mean"], color=UNET_COLOUR, lw=2)
        ax.set_title(f"{fs} / {clf}\nAUC {row['auc_repeat_mean']:.3f}, p = {row['perm_p']:.3f} (N={len(aucs)})", fontsize=8)
        ax.set_xlabel("null AUC (shuffled labels)", fontsize=8)
        ax.set_xlim(0, 1)
    _save(fig, out_png)
