"""The ingest stage for one case: image (+ mask) to NIfTI and a header without patient identity."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.images import check_same_grid, geometry, read_image, read_label_map, write_image
from radiodeep.io import write_json

log = logging.getLogger(__name__)


def ingest_case(
    image: str | Path,
    mask: str | Path | None,
    out_dir: str | Path,
    *,
    case_id: str | None = None,
    roi: str | None = None,
    grid_tolerance_mm: float = 1e-3,
) -> dict:
    """Write ``out_dir/image.nii.gz``, ``out_dir/mask.nii.gz`` and ``out_dir/header.json``.

    Args:
        image: NIfTI/NRRD file.
        mask: NIfTI/NRRD label map on the image grid, or None (an empty mask is written and
            ``has_reference_mask`` is false in the header).
        roi: for a multi-label mask, the label value to keep (as text); None keeps every label.

    Returns:
        The header dictionary (acquisition fields, geometry, ROI voxel count).
    """
    out_dir = Path(out_dir)
    image_path = Path(image)
    if image_path.is_dir():
        raise CaseError(case_id, image_path, "DICOM folders are not supported by this ingest (NIfTI/NRRD only)")
    img = read_image(image_path, case_id)
    header: dict = {"case_id": case_id, "source_format": "nifti" if ".nii" in image_path.name else image_path.suffix.lstrip(".")}
    header.update(geometry(img))
    arr = sitk.GetArrayViewFromImage(img)
    if not np.all(np.isfinite(arr)):
        raise CaseError(case_id, image_path, f"image holds {int(np.sum(~np.isfinite(arr)))} NaN/inf voxels")
    msk = None
    if mask:
        msk = read_label_map(mask, case_id)
        check_same_grid(img, msk, case_id, mask, grid_tolerance_mm)
        if roi:
            try:
                value = int(roi)
            except ValueError as exc:
                raise CaseError(case_id, mask, f"roi {roi!r} must be a label value for a NIfTI/NRRD mask") from exc
            present = sorted(int(v) for v in np.unique(sitk.GetArrayViewFromImage(msk)) if v)
            if value not in present:
                raise CaseError(case_id, mask, f"label {value} not in mask; labels present: {present}")
            msk = sitk.Cast(msk == value, sitk.sitkUInt8)
        header["roi_voxels"] = int(np.count_nonzero(sitk.GetArrayViewFromImage(msk)))
        if header["roi_voxels"] == 0:
            raise CaseError(case_id, mask, "mask is empty (no voxel > 0)")
    header["has_reference_mask"] = msk is not None
    if msk is None:  # an empty label map keeps the outputs uniform; segmentation fills it in
        msk = sitk.Image(img.GetSize(), sitk.sitkUInt8)
        msk.CopyInformation(img)
        header["roi_voxels"] = 0
    out_dir.mkdir(parents=True, exist_ok=True)
    write_image(img, out_dir / "image.nii.gz")
    write_image(msk, out_dir / "mask.nii.gz")
    write_json(header, out_dir / "header.json")
    log.info("case %s: ingested %s", case_id, image_path.name)
    return header

