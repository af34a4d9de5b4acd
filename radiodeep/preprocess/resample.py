"""Resampling to a target spacing; scalar images use linear/B-spline, label maps nearest neighbour.

The new grid keeps the physical extent of the old one: its first and last voxel centres are
placed symmetrically about the old grid's centre (the IBSI convention of aligning grid centres).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import SimpleITK as sitk

_INTERPOLATORS = {
    "linear": sitk.sitkLinear,
    "bspline": sitk.sitkBSpline,
    "nearest": sitk.sitkNearestNeighbor,
}


def centred_grid(image: sitk.Image, spacing: Sequence[float]) -> tuple[list[int], list[float]]:
    """Size and origin of a grid with ``spacing`` whose centre coincides with ``image``'s centre."""
    old_spacing = np.array(image.GetSpacing())
    old_size = np.array(image.GetSize())
    new_spacing = np.array(spacing, dtype=float)
    new_size = np.ceil(old_size * old_spacing / new_spacing).astype(int)
    new_size = np.maximum(new_size, 1)
    direction = np.array(image.GetDirection()).reshape(3, 3)
    old_centre_idx = (old_size - 1) / 2.0
    centre = np.array(image.GetOrigin()) + direction @ (old_centre_idx * old_spacing)
    origin = centre - direction @ ((new_size - 1) / 2.0 * new_spacing)
    return new_size.tolist(), origin.tolist()


def _resample(image: sitk.Image, spacing: Sequence[float], interpolator: int, default: float) -> sitk.Image:
    size, origin = centred_grid(image, spacing)
    return sitk.Resample(
        image,
        [int(s) for s in size],
        sitk.Transform(),
        interpolator,
        origin,
        [float(s) for s in spacing],
        image.GetDirection(),
        default,
        image.GetPixelID(),
    )


def resample_image(image: sitk.Image, spacing: Sequence[float], interpolator: str = "linear") -> sitk.Image:
    """Resample a scalar image to ``spacing`` (mm) with ``linear`` or ``bspline`` interpolation.

    Example:
        >>> img = sitk.Image([10, 10, 5], sitk.sitkFloat32); img.SetSpacing([1, 1, 2])
        >>> resample_image(img, [2, 2, 2]).GetSize()
        (5, 5, 5)
    """
    if interpolator not in ("linear", "bspline"):
        raise ValueError(f"interpolator for a scalar image must be linear or bspline, not {interpolator!r}")
    return _resample(image, spacing, _INTERPOLATORS[interpolator], 0.0)


def resample_label_map(mask: sitk.Image, reference: sitk.Image) -> sitk.Image:
    """Resample a label map with nearest neighbour onto ``reference``'s grid."""
    return sitk.Resample(mask, reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0, mask.GetPixelID())
