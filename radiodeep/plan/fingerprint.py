"""A cohort's fingerprint: what the planner needs to know of each ingested case.

Per case: grid (spacing, size), ROI size in voxels, mm³ and bounding-box extent (mm), and
intensities inside the ROI on the scale the features see (CT: HU, PET: SUV, MR: the preprocess
stage's z-score), plus a fixed-size, seeded sample of ROI voxels for cohort percentiles
(nnU-Net samples its foreground the same way). The outcome is never read.
"""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # SimpleITK (~0.4 s to import) where images are read: the plan job loads saved fingerprints
    import SimpleITK as sitk

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


def _grid_and_roi(case_id: str, image: sitk.Image, roi: np.ndarray | None, modality: str, spacing: list[float]) -> dict:
    out = {"case_id": case_id, "modality": modality, "spacing": spacing, "size": [int(s) for s in image.GetSize()]}
    if roi is not None:
        n = int(np.count_nonzero(roi))
        out.update({"roi_voxels": n, "roi_volume_mm3": float(n * np.prod(spacing)), "roi_extent_mm": roi_extent_mm(roi, spacing)})
    return out


def _roi_values(image: sitk.Image, roi: np.ndarray) -> np.ndarray:
    import SimpleITK as sitk

    values = sitk.GetArrayViewFromImage(image)[roi].astype(np.float64)
    return values[np.isfinite(values)]


def _with_intensities(out: dict, values: np.ndarray, seed: int) -> dict:
    if values.size == 0:
        return out
    p = np.percentile(values, [0.5, 99.5])
    rng = np.random.default_rng(seed)
    sample = values if values.size <= SAMPLE_PER_CASE else rng.choice(values, SAMPLE_PER_CASE, replace=False)
    out.update({"roi_min": float(values.min()), "roi_max": float(values.max()), "roi_p00_5": float(p[0]),
                "roi_p99_5": float(p[1]), "roi_mean": float(values.mean()), "roi_sd": float(values.std()),
                "sample": sample.astype(np.float32)})
    return out


def case_fingerprint(case_id: str, image_path: str | Path, mask_path: str | Path | None, modality: str,
                     mr_reference: str = "body", seed: int = 0) -> dict:
    """The fingerprint of one ingested case (see module docstring); ``mask_path`` None: grid only."""
    import SimpleITK as sitk

    from radiodeep.images import read_image, read_label_map

    image = read_image(image_path, case_id, check_gzip=False)
    spacing = [float(s) for s in image.GetSpacing()]
    if not mask_path:
        return _grid_and_roi(case_id, image, None, modality, spacing)
    mask = read_label_map(mask_path, case_id, check_gzip=False)
    roi = sitk.GetArrayViewFromImage(mask) > 0
    out = _grid_and_roi(case_id, image, roi, modality, spacing)
    if out["roi_voxels"] == 0:
        return out
    if modality == "MR":
        from radiodeep.preprocess.intensity import normalise_intensity

        image = normalise_intensity(image, "MR", mask, mr_reference, case_id)
    return _with_intensities(out, _roi_values(image, roi), seed)


def save_fingerprint(path: str | Path, case_id: str, image: sitk.Image, mask: sitk.Image, modality: str) -> None:
    """What :func:`case_fingerprint` would read from the ingested image and mask, saved by the
    ingest batch that holds them (``.npz``: grid, ROI size and extent, the ROI's voxel values),
    so that the plan reads these small files instead of every image. The spacing is rounded to
    float32 as NIfTI stores it. MR values are saved z-scored once per ``preprocess.mr_reference``
    (``values_body``, ``values_roi``; one whose region is empty or constant is left out, and the
    plan then reads the image and reports that case)."""
    import SimpleITK as sitk

    from radiodeep.io import atomic_path

    spacing = [float(np.float32(s)) for s in image.GetSpacing()]
    roi = sitk.GetArrayViewFromImage(mask) > 0
    fields = _grid_and_roi(case_id, image, roi, modality, spacing)
    arrays = {"spacing": np.array(spacing), "size": np.array(fields["size"]), "roi_voxels": np.array(fields["roi_voxels"]),
              "roi_extent_mm": np.array(fields["roi_extent_mm"])}
    if fields["roi_voxels"]:
        image = sitk.Cast(image, sitk.sitkFloat32)  # as the plan reads the ingested file
        if modality != "MR":
            arrays["values"] = _roi_values(image, roi).astype(np.float32)
        else:
            from radiodeep.errors import CaseError
            from radiodeep.preprocess.intensity import MR_REFERENCES, normalise_intensity

            for reference in MR_REFERENCES:
                try:
                    z = normalise_intensity(image, "MR", mask, reference, case_id)
                except CaseError:
                    continue
                arrays[f"values_{reference}"] = _roi_values(z, roi).astype(np.float32)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as npz:  # np.savez, but without timestamps
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.save(buf, array, allow_pickle=False)
            npz.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())


def load_fingerprint(path: str | Path, case_id: str, modality: str, has_mask: bool = True, seed: int = 0,
                     mr_reference: str = "body") -> dict | None:
    """The fingerprint from :func:`save_fingerprint`'s file, equal to :func:`case_fingerprint` of
    the ingested files; None when the plan must read the image instead (an MR file without
    values for ``mr_reference``)."""
    with np.load(path, allow_pickle=False) as saved:
        spacing = [float(s) for s in saved["spacing"]]
        out = {"case_id": case_id, "modality": modality, "spacing": spacing, "size": [int(s) for s in saved["size"]]}
        if not has_mask:
            return out
        n = int(saved["roi_voxels"])
        out.update({"roi_voxels": n, "roi_volume_mm3": float(n * np.prod(spacing)),
                    "roi_extent_mm": [float(e) for e in saved["roi_extent_mm"]]})
        if n == 0:
            return out
        key = f"values_{mr_reference}" if modality == "MR" else "values"
        if key not in saved:
            return None
        return _with_intensities(out, saved[key].astype(np.float64), seed)
