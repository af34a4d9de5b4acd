"""ROI crops for a CNN: a fixed physical size, centred on the ROI, on the backbone's own grid.

The crop grid is axis-aligned (identity direction, i.e. LPS as SimpleITK reads it) with the
backbone's spacing; image and mask are resampled onto it with SimpleITK, so a case's crop
depends only on physical content, not on its voxel grid. Intensities then go through a fixed,
data-independent window: ``x -> (clip(x, lo, hi) - shift) * scale`` (the segmentation
checkpoint's ``intensity`` entry has the same form).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError, NoRoi
from radiodeep.images import check_same_grid

# Per-modality defaults. PET: SUV 0..20 -> 0..2 and MR: z-score clipped at +-5 (as the
# segmenter); CT: FMCIB's window, HU -1024..3072 -> 0..1.
DEFAULT_INTENSITY = {
    "PET": {"clip": [0.0, 20.0], "shift": 0.0, "scale": 0.1},
    "CT": {"clip": [-1024.0, 3072.0], "shift": -1024.0, "scale": 1.0 / 4096.0},
    "MR": {"clip": [-5.0, 5.0], "shift": 0.0, "scale": 1.0},
}


def intensity_window(modality: str, override: dict | None = None) -> dict:
    """The ``{clip, shift, scale}`` window for ``modality``, keys of ``override`` replacing defaults.

    Example:
        >>> intensity_window("PET", {"clip": [0, 10]})["clip"]
        [0, 10]
    """
    if modality not in DEFAULT_INTENSITY:
        raise ValueError(f"modality must be one of {sorted(DEFAULT_INTENSITY)}, not {modality!r}")
    spec = dict(DEFAULT_INTENSITY[modality])
    spec.update({k: v for k, v in (override or {}).items() if v is not None})
    return spec


def apply_window(array: np.ndarray, intensity: dict) -> np.ndarray:
    """``(clip(array, lo, hi) - shift) * scale`` as float32.

    Example:
        >>> apply_window(np.array([-2000.0, 1024.0]), DEFAULT_INTENSITY["CT"]).tolist()
        [0.0, 0.5]
    """
    lo, hi = intensity["clip"]
    return ((np.clip(array, lo, hi) - intensity["shift"]) * intensity["scale"]).astype(np.float32)


def _triple(value: float | Sequence[float], name: str) -> np.ndarray:
    out = np.broadcast_to(np.asarray(value, dtype=float), (3,)).copy()
    if np.any(out <= 0):
        raise ValueError(f"{name} must be positive, got {value}")
    return out


def roi_centre(mask: sitk.Image, label: int = 1, how: str = "com", case_id: str | None = None,
               mask_path: str | None = None) -> np.ndarray:
    """Physical point (x, y, z, mm) at the ROI's centre of mass (``com``) or bounding-box centre (``bbox``)."""
    if how not in ("com", "bbox"):
        raise ValueError(f"centre must be 'com' or 'bbox', not {how!r}")
    stats = sitk.LabelShapeStatisticsImageFilter()
    stats.Execute(mask)
    if not stats.GetLabels():
        raise NoRoi(case_id, mask_path, "mask is empty (the U-Net found no ROI): nothing to embed")
    if label not in stats.GetLabels():
        raise CaseError(case_id, mask_path, f"label {label} is absent from the mask; labels present: {list(stats.GetLabels())}")
    if how == "com":
        return np.array(stats.GetCentroid(label))
    box = stats.GetBoundingBox(label)  # index start (3), then size (3)
    centre_idx = [box[i] + (box[i + 3] - 1) / 2.0 for i in range(3)]
    return np.array(mask.TransformContinuousIndexToPhysicalPoint(centre_idx))


def crop_grid(centre: Sequence[float], size_mm: float | Sequence[float], spacing: float | Sequence[float]) -> sitk.Image:
    """An empty axis-aligned grid of ``size_mm`` edge (rounded to whole voxels) centred on ``centre``.

    Example:
        >>> crop_grid([0, 0, 0], 50, 1).GetSize()
        (50, 50, 50)
    """
    spacing = _triple(spacing, "spacing")
    size = np.maximum(np.round(_triple(size_mm, "crop_mm") / spacing), 1).astype(int)
    grid = sitk.Image([int(s) for s in size], sitk.sitkFloat32)
    grid.SetSpacing([float(s) for s in spacing])
    grid.SetOrigin([float(o) for o in np.asarray(centre, float) - (size - 1) / 2.0 * spacing])
    return grid


def crop_roi(
    image: sitk.Image,
    mask: sitk.Image,
    *,
    size_mm: float | Sequence[float],
    spacing: float | Sequence[float],
    intensity: dict,
    centre: str = "com",
    label: int = 1,
    case_id: str | None = None,
    mask_path: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Crop image and ROI around the ROI's centre on the backbone's grid.

    Args:
        image: scalar image (HU, SUV or z-score).
        mask: label map on the image's grid.
        size_mm: crop edge in mm (one value for a cube, or x, y, z).
        spacing: crop voxel size in mm.
        intensity: ``{clip: [lo, hi], shift, scale}``; outside the image the crop is ``lo``.
        centre: ``com`` (centre of mass) or ``bbox`` (bounding-box centre).
        case_id, mask_path: named in errors.

    Returns:
        (image, roi) float32 arrays in (z, y, x) order; ``roi`` is the fraction of each crop voxel
        inside the ROI (linear interpolation of the binary mask), used as pooling weights.
    """
    check_same_grid(image, mask, case_id, mask_path)
    point = roi_centre(mask, label, centre, case_id, mask_path)
    grid = crop_grid(point, size_mm, spacing)
    lo = float(intensity["clip"][0])
    img = sitk.Resample(sitk.Cast(image, sitk.sitkFloat32), grid, sitk.Transform(), sitk.sitkLinear, lo, sitk.sitkFloat32)
    roi = sitk.Cast(sitk.BinaryThreshold(mask, label, label, 1, 0), sitk.sitkFloat32)
    roi = sitk.Resample(roi, grid, sitk.Transform(), sitk.sitkLinear, 0.0, sitk.sitkFloat32)
    roi_arr = sitk.GetArrayFromImage(roi)
    if not np.any(roi_arr > 0):
        raise CaseError(case_id, mask_path, "the ROI does not overlap its own crop (crop_mm too small?)")
    return apply_window(sitk.GetArrayFromImage(img), intensity), roi_arr
