"""A cohort's fingerprint: what the planner needs to know of each ingested case.

Per case: grid (spacing, size), ROI size in voxels, mm³ and bounding-box extent (mm), and
intensities inside the ROI on the scale the features see (CT: HU, PET: SUV, MR: the preprocess
stage's z-score), plus a fixed-size, seeded sample of ROI voxels for cohort percentiles
(nnU-Net samples its foreground the same way). The outcome is never read.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiodeep.images import read_image, read_label_map

log = logging.getLogger(__name__)

SAMPLE_PER_CASE = 10_000


def roi_extent_mm(roi: np.ndarray, spacing) -> list[float]:
    """Bounding-box edge lengths (x, y, z) in mm of a boolean (z, y, x) array, voxels counted whole.

    Example:
        >>> a = np.zeros((4, 5, 6), bool); a[1:3, 2, 1:5] = True
        >>> roi_extent_mm(a, (1.0, 2.0, 3.0))
        [4.0, 2.0, 6.0]
    """
    idx = np.argwhere(roi)
    if idx.size == 0:
        return [0.0, 0.0, 0.0]
    edges = (idx.max(0) - idx.min(0) + 1)[::-1]
    return [float(e * s) for e, s in zip(edges, spacing, strict=True)]


def case_fingerprint(case_id: str, image_path: str | Path, mask_path: str | Path | None, modality: str,
                     mr_reference: str = "body", seed: int = 0) -> dict:
    """The fingerprint of one ingested case (see module docstring); ``mask_path`` None: grid only."""
    image = read_image(image_path, case_id, check_gzip=False)
    spacing = [float(s) for s in image.GetSpacing()]
    out = {"case_id": case_id, "modality": modality, "spacing": spacing, "size": [int(s) for s in image.GetSize()]}
    if not mask_path:
        return out
    mask = read_label_map(mask_path, case_id, check_gzip=False)
    roi = sitk.GetArrayViewFromImage(mask) > 0
    n = int(np.count_nonzero(roi))
    out.update({"roi_voxels": n, "roi_volume_mm3": float(n * np.prod(spacing)), "roi_extent_mm": roi_extent_mm(roi, spacing)})
    if n == 0:
        return out
    if modality == "MR":
        from radiodeep.preprocess.intensity import normalise_intensity

        image = normalise_intensity(image, "MR", mask, mr_reference, case_id)
    values = sitk.GetArrayViewFromImage(image)[roi].astype(np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return out
    p = np.percentile(values, [0.5, 99.5])
    rng = np.random.default_rng(seed)
    sample = values if values.size <= SAMPLE_PER_CASE else rng.choice(values, SAMPLE_PER_CASE, replace=False)
    out.update({"roi_min": float(values.min()), "roi_max": float(values.max()), "roi_p00_5": float(p[0]),
                "roi_p99_5": float(p[1]), "roi_mean": float(values.mean()), "roi_sd": float(values.std()),
                "sample": sample.astype(np.float32)})
    return out
