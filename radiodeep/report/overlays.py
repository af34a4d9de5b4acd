"""Pictures of segmentations: reference and U-Net contours over the image, per case and per cohort.

For every case with a reference mask: axial, coronal and sagittal slices through the reference
ROI's centre of mass (the U-Net mask's when the reference is empty), cropped to the ROIs plus a
margin, voxels drawn at their physical aspect, the reference contour in orange and the U-Net's
in sky blue (Okabe-Ito colours, distinguishable with colour-vision deficiency), Dice in the title.
The contact sheet shows every case, worst Dice first; cases below ``min_dice`` have red titles.

Example:
    >>> import numpy as np
    >>> m = np.zeros((5, 6, 7), bool); m[1:4, 2:4, 3:6] = True
    >>> roi_centre(m)
    (2, 2, 4)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from radiodeep.errors import RadiodeepError
from radiodeep.io import atomic_path

REFERENCE_COLOUR = "#E69F00"  # Okabe-Ito orange
PREDICTED_COLOUR = "#56B4E9"  # Okabe-Ito sky blue
LOW_DICE_COLOUR = "#C0392B"
VIEWS = ("axial", "coronal", "sagittal")


@dataclass
class CaseVolumes:
    """One case on one grid: image, reference and predicted masks as z, y, x arrays; spacing x, y, z (mm)."""

    case_id: str
    image: np.ndarray
    reference: np.ndarray
    predicted: np.ndarray
    spacing: tuple[float, float, float]


def load_case(case_id: str, image: str | Path, reference: str | Path, predicted: str | Path) -> CaseVolumes:
    """Read a case's image and its two masks; the masks must lie on the image's grid."""
    import SimpleITK as sitk

    img = sitk.ReadImage(str(image))
    arrays = []
    for path in (reference, predicted):
        mask = sitk.ReadImage(str(path))
        if mask.GetSize() != img.GetSize() or not np.allclose(mask.GetSpacing(), img.GetSpacing(), atol=1e-3):
            raise RadiodeepError(f"case {case_id}: {path} has size {mask.GetSize()} spacing {mask.GetSpacing()}, "
                                 f"not the grid of {image} ({img.GetSize()}, {img.GetSpacing()}); overlays need "
                                 "masks on the preprocessed image's grid")
        arrays.append(sitk.GetArrayFromImage(mask) > 0)
    return CaseVolumes(case_id, sitk.GetArrayFromImage(img).astype(np.float32), arrays[0], arrays[1],
                       tuple(float(s) for s in img.GetSpacing()))


def roi_centre(mask: np.ndarray) -> tuple[int, int, int]:
    """The voxel (z, y, x) nearest the mask's centre of mass; the volume's centre for an empty mask."""
    idx = np.argwhere(mask)
    if not len(idx):
        return tuple(int(s) // 2 for s in mask.shape)
    return tuple(int(round(c)) for c in idx.mean(axis=0))


def _crop_bounds(masks: Sequence[np.ndarray], spacing_zyx: np.ndarray, margin_mm: float) -> list[slice]:
    union = np.logical_or.reduce(masks)
    idx = np.argwhere(union)
    if not len(idx):
        return [slice(None)] * 3
    pad = np.ceil(margin_mm / spacing_zyx).astype(int)
    lo = np.maximum(idx.min(axis=0) - pad, 0)
    hi = np.minimum(idx.max(axis=0) + pad + 1, union.shape)
    return [slice(int(a), int(b)) for a, b in zip(lo, hi, strict=True)]


def case_views(case: CaseVolumes, margin_mm: float = 20.0) -> list[dict]:
    """The three orthogonal slices through the ROI: image, both masks and the aspect of each view."""
    spacing_zyx = np.array(case.spacing[::-1])
    centre = roi_centre(case.reference if case.reference.any() else case.predicted)
    crop = _crop_bounds([case.reference, case.predicted], spacing_zyx, margin_mm)
    views = []
    for axis, name in enumerate(VIEWS):  # axis 0 = z (axial), 1 = y (coronal), 2 = x (sagittal)
        take = [crop[0], crop[1], crop[2]]
        take[axis] = centre[axis]
        sl = tuple(take)
        rows_axis, cols_axis = [a for a in range(3) if a != axis]
        # arrays are z, y, x: axial shows y down / x right; coronal and sagittal show z upwards
        flip = axis != 0
        views.append({"name": name, "image": case.image[sl], "reference": case.reference[sl],
                      "predicted": case.predicted[sl], "aspect": spacing_zyx[rows_axis] / spacing_zyx[cols_axis],
                      "flip": flip, "index": centre[axis]})
    return views


def _window(image: np.ndarray, roi: np.ndarray) -> tuple[float, float]:
    values = image[roi] if roi.any() else image.ravel()
    lo = float(np.percentile(image, 1))
    hi = float(max(np.percentile(values, 99.5), lo + 1e-6))
    return lo, hi


def draw_views(axes, case: CaseVolumes, title: str, title_colour: str = "black", margin_mm: float = 20.0) -> None:
    """Draw a case's three views into three matplotlib axes; the title goes over the first."""
    vmin, vmax = _window(case.image, case.reference | case.predicted)
    for ax, view in zip(axes, case_views(case, margin_mm), strict=True):
        origin = "lower" if view["flip"] else "upper"
        ax.imshow(view["image"], cmap="gray", vmin=vmin, vmax=vmax, aspect=view["aspect"], origin=origin,
                  interpolation="nearest")
        for key, colour in (("reference", REFERENCE_COLOUR), ("predicted", PREDICTED_COLOUR)):
            if view[key].any():
                ax.contour(view[key].astype(float), levels=[0.5], colors=colour, linewidths=1.2, origin=origin)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(view["name"], fontsize=6, labelpad=1)
    axes[0].set_title(title, fontsize=7, loc="left", color=title_colour)


def _title(row: pd.Series) -> tuple[str, str]:
    dice = row.get("dice", np.nan)
    text = f"{row['case_id']}  Dice {dice:.3f}" if pd.notna(dice) else f"{row['case_id']}  Dice n/a"
    low = str(row.get("low_dice", "")).lower() == "true"
    return (text + "  (low)" if low else text), (LOW_DICE_COLOUR if low else "black")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _legend(fig) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=REFERENCE_COLOUR, lw=2, label="reference"),
               Line2D([], [], color=PREDICTED_COLOUR, lw=2, label="U-Net")]
    fig.legend(handles=handles, loc="lower right", fontsize=7, frameon=False, ncol=2)


def _save(fig, out_png: str | Path, dpi: int) -> None:
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    _plt().close(fig)


def write_case_overlay(case: CaseVolumes, row: pd.Series, out_png: str | Path, dpi: int = 100) -> None:
    """One case's PNG: three views with both contours, Dice in the title."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.9))
    text, colour = _title(row)
    draw_views(axes, case, text, colour)
    _legend(fig)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.88, bottom=0.12, wspace=0.05)
    _save(fig, out_png, dpi)


def write_not_run_overlay(case_id: str, note: str, out_png: str | Path, dpi: int = 100) -> None:
    """The PNG of a case that never reached segmentation (``on_error: skip``): its id and why."""
    plt = _plt()
    fig = plt.figure(figsize=(7.5, 1.2))
    fig.text(0.02, 0.5, f"{case_id}: no overlay. {note}", fontsize=7, va="center", wrap=True)
    _save(fig, out_png, dpi)


def order_worst_first(dice: pd.DataFrame) -> pd.DataFrame:
    """Rows with a Dice, lowest first (ties by case id); cases without a Dice (excluded) last."""
    d = dice.assign(_dice=pd.to_numeric(dice["dice"], errors="coerce"))
    return d.sort_values(["_dice", "case_id"], na_position="last", kind="stable").drop(columns="_dice").reset_index(drop=True)


def write_contact_sheet(cases: dict[str, CaseVolumes], dice: pd.DataFrame, out_png: str | Path,
                        per_row: int = 3, dpi: int = 90) -> list[str]:
    """Every case's three views in one picture, worst Dice first; returns the order drawn."""
    plt = _plt()
    order = [r for _, r in order_worst_first(dice).iterrows() if r["case_id"] in cases]
    if not order:
        raise RadiodeepError("contact sheet: no case has both a reference and a U-Net mask")
    n_rows = -(-len(order) // per_row)
    height = n_rows * 1.35 + 0.5  # inches; 0.4 below the last row for the legend
    fig, axes = plt.subplots(n_rows, 3 * per_row, figsize=(3 * per_row * 1.15, height), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, row in enumerate(order):
        r, c = divmod(i, per_row)
        trio = axes[r, 3 * c:3 * c + 3]
        for ax in trio:
            ax.axis("on")
        text, colour = _title(row)
        draw_views(trio, cases[row["case_id"]], text, colour)
    _legend(fig)
    fig.subplots_adjust(left=0.01, right=0.99, top=1 - 0.2 / height, bottom=0.4 / height, wspace=0.04, hspace=0.45)
    _save(fig, out_png, dpi)
    return [str(r["case_id"]) for r in order]


def write_overlays(dice_csv: str | Path, cases: Sequence[str], images: Sequence[str | Path],
                   references: Sequence[str | Path], predicted: Sequence[str | Path], contact_sheet: str | Path,
                   distributions: str | Path | None = None, min_dice: float | None = None) -> list[str]:
    """Per-case overlay PNGs (``overlays/<case>.png`` beside the contact sheet) for every case of
    ``dice_csv`` among ``cases`` (with its image, reference and U-Net mask at the same position of
    the three lists), the contact sheet and the Dice/HD95 distributions figure.

    Returns:
        The contact sheet's order (worst Dice first).
    """
    from radiodeep.report.figures import plot_segmentation_distributions

    images, references, predicted = ({c: p for c, p in zip(cases, paths, strict=True)}
                                      for paths in (images, references, predicted))

    dice = pd.read_csv(dice_csv, dtype={"case_id": str}, keep_default_na=False, na_values=[""])
    out_dir = Path(contact_sheet).parent / "overlays"
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = {}
    for _, row in dice.iterrows():
        cid = row["case_id"]
        if cid not in predicted or cid not in references:
            continue
        if Path(predicted[cid]).stat().st_size == 0:  # a placeholder: the case failed before segmentation (skip)
            write_not_run_overlay(cid, str(row.get("note", "") or "not segmented"), out_dir / f"{cid}.png")
            continue
        cases[cid] = load_case(cid, images[cid], references[cid], predicted[cid])
        write_case_overlay(cases[cid], row, out_dir / f"{cid}.png")
    order = write_contact_sheet(cases, dice, contact_sheet)
    if distributions is not None:
        plot_segmentation_distributions(dice, distributions, min_dice)
    return order
