"""Mask post-processing: keep the largest connected component, fill holes (SimpleITK)."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk


def postprocess(mask: np.ndarray, largest_component: bool = True, fill_holes: bool = True) -> np.ndarray:
    """Clean a binary (z, y, x) mask; an empty mask stays empty.

    Example:
        >>> m = np.zeros((6, 6, 6), np.uint8); m[0:2, 0:2, 0:2] = 1; m[3:6, 3:6, 3:6] = 1; m[4, 4, 4] = 0
        >>> int(postprocess(m).sum())
        27
    """
    out = (mask > 0).astype(np.uint8)
    if not out.any():
        return out
    img = sitk.GetImageFromArray(out)
    if largest_component:
        img = sitk.RelabelComponent(sitk.ConnectedComponent(img, True), sortByObjectSize=True) == 1
    if fill_holes:
        img = sitk.BinaryFillhole(sitk.Cast(img, sitk.sitkUInt8), fullyConnected=False, foregroundValue=1)
    return sitk.GetArrayFromImage(img).astype(np.uint8)
