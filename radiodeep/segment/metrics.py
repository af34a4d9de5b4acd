"""Segmentation QC: Dice and HD95 (MONAI metrics), volumes, and the 40%-SUVmax PET baseline."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk


def _onehot(mask: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray(mask > 0))[None, None].float()


def dice_hd95(pred: np.ndarray, ref: np.ndarray, spacing) -> tuple[float, float]:
    """Dice and 95th-percentile Hausdorff distance (mm) of two binary (z, y, x) masks.

    ``spacing`` is SimpleITK's (x, y, z); NaN where a mask is empty (HD95 undefined).

    Example:
        >>> a = np.zeros((8, 8, 8), np.uint8); a[2:6, 2:6, 2:6] = 1
        >>> round(dice_hd95(a, a, (1, 1, 1))[0], 3)
        1.0
    """
    from monai.metrics import compute_dice, compute_hausdorff_distance

    if not ref.any() and not pred.any():
        return float("nan"), float("nan")
    p, r = _onehot(pred), _onehot(ref)
    dice = float(compute_dice(p, r, include_background=True, ignore_empty=False)[0, 0])
    if not ref.any() or not pred.any():
        return dice, float("nan")
    hd = compute_hausdorff_distance(p, r, include_background=True, percentile=95, spacing=list(spacing)[::-1])
    return dice, float(hd[0, 0])


def volume_ml(mask: np.ndarray, spacing) -> float:
    """Volume of a binary mask in millilitres."""
    return float(mask.astype(bool).sum() * np.prod(spacing) / 1000.0)


def threshold_baseline(suv: np.ndarray, fraction: float = 0.4) -> np.ndarray:
    """Classic PET segmentation: voxels >= ``fraction`` x SUVmax, connected component holding the max.

    Example:
        >>> v = np.zeros((5, 5, 5), np.float32); v[1, 1, 1] = 10; v[1, 1, 2] = 5; v[3, 3, 3] = 9
        >>> int(threshold_baseline(v).sum())
        2
    """
    peak = np.unravel_index(int(np.argmax(suv)), suv.shape)
    above = sitk.GetImageFromArray((suv >= fraction * suv[peak]).astype(np.uint8))
    labels = sitk.GetArrayFromImage(sitk.ConnectedComponent(above, True))
    return (labels == labels[peak]).astype(np.uint8)
