"""DICOM-SEG masks with highdicom: read one segment onto an image grid, and export a mask.

Example:
    >>> mask = read_seg("seg.dcm", image, roi="GTV")  # doctest: +SKIP
    >>> export_seg("patient/ct/", "mask.nii.gz", "seg.dcm", label="GTV")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.images import check_same_grid, geometry
from radiodeep.io import atomic_path

log = logging.getLogger(__name__)


def _pick_segment(seg, roi: str | None, case_id, path) -> int:
    labels = {int(s.SegmentNumber): str(s.SegmentLabel) for s in seg.SegmentSequence}
    present = ", ".join(f"{k}: {v!r}" for k, v in labels.items())
    if not roi:
        if len(labels) == 1:
            return next(iter(labels))
        raise CaseError(case_id, path, f"SEG holds {len(labels)} segments; choose one with roi: {present}")
    if roi.isdigit() and int(roi) in labels:
        return int(roi)
    hits = [k for k, v in labels.items() if v == roi] or [
        k for k, v in labels.items() if re.fullmatch(roi, v, re.IGNORECASE)
    ]
    if len(hits) != 1:
        raise CaseError(case_id, path, f"segment {roi!r} {'not found' if not hits else 'is ambiguous'}; segments present: {present}")
    return hits[0]


def seg_frame_of_reference(path: str | Path) -> str:
    """The SEG's FrameOfReferenceUID (empty when absent or unreadable; read_seg reports the latter)."""
    try:
        return str(pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["FrameOfReferenceUID"]).get("FrameOfReferenceUID", ""))
    except Exception:
        return ""


def read_seg(path: str | Path, image: sitk.Image, frame_uid: str | None = None, roi: str | None = None,
             case_id: str | None = None, tolerance_mm: float = 1e-3) -> sitk.Image:
    """One segment of a DICOM-SEG as a uint8 0/1 label map on ``image``'s grid.

    The SEG's frames must lie on the image lattice (same spacing and direction within
    ``tolerance_mm``; frames may cover a subset of the slices).
    """
    import highdicom as hd

    try:
        seg = hd.seg.segread(path)
    except Exception as exc:
        raise CaseError(case_id, path, f"cannot read DICOM-SEG ({type(exc).__name__}: {exc})") from exc
    if frame_uid and str(seg.get("FrameOfReferenceUID", "")) not in ("", frame_uid):
        raise CaseError(case_id, path, f"SEG FrameOfReferenceUID {seg.FrameOfReferenceUID} differs from the image's {frame_uid}; if its frames "
                                       "lie on this image's grid, set ingest.frame_of_reference: trust_geometry (or ingest.trust_geometry_cases)")
    number = _pick_segment(seg, roi, case_id, path)
    try:
        vol = seg.get_volume(segment_numbers=[number], combine_segments=True, dtype=np.uint8)
    except (ValueError, RuntimeError) as exc:
        raise CaseError(case_id, path, f"SEG frames do not form a regular 3D volume ({exc})") from exc
    arr = np.asarray(vol.array)  # (slice, row, column)
    affine = np.asarray(vol.affine)
    cols = affine[:3, [2, 1, 0]]  # sitk index order x=column, y=row, z=slice
    spacing = np.linalg.norm(cols, axis=0)
    mask = sitk.GetImageFromArray((arr > 0).astype(np.uint8))
    mask.SetSpacing(tuple(float(s) for s in spacing))
    mask.SetOrigin(tuple(float(o) for o in affine[:3, 3]))
    mask.SetDirection(tuple((cols / spacing).flatten()))
    # each SEG axis step must be one image voxel step (any order or sign), its origin on the lattice
    to_index = np.linalg.inv(np.asarray(image.GetDirection()).reshape(3, 3) * np.asarray(image.GetSpacing()))
    steps = to_index @ cols
    start = np.asarray(image.TransformPhysicalPointToContinuousIndex(mask.GetOrigin()))
    tol = tolerance_mm / min(image.GetSpacing())
    aligned = (
        np.allclose(np.abs(steps).sum(axis=0), 1, atol=tol)
        and np.allclose(np.abs(steps), np.round(np.abs(steps)), atol=tol)
        and np.allclose(start, np.round(start), atol=tol)
    )
    if not aligned:
        raise CaseError(case_id, path, f"SEG grid differs from image grid (tolerance {tolerance_mm} mm): image {geometry(image)}, SEG {geometry(mask)}")
    mask = sitk.Resample(mask, image, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    if int(np.count_nonzero(sitk.GetArrayViewFromImage(mask))) != int(np.count_nonzero(arr)):
        raise CaseError(case_id, path, "part of the SEG segment lies outside the image volume")
    return mask


def export_seg(
    dicom_dir: str | Path,
    mask: str | Path,
    out: str | Path,
    label: str = "ROI",
    series_uid: str | None = None,
    algorithm: str | None = None,
    tolerance_mm: float = 1e-3,
) -> Path:
    """Write a binary DICOM-SEG of ``mask`` (NIfTI/NRRD on the series' grid) referencing the series.

    Args:
        algorithm: None for a manual (reference) contour; a model name for a predicted one.
    """
    import highdicom as hd
    from pydicom.sr.codedict import codes

    from radiodeep import __version__
    from radiodeep.images import read_label_map
    from radiodeep.ingest.series import discover_series, select_series
    from radiodeep.ingest.volume import read_volume, slice_order

    series = select_series(discover_series(dicom_dir), series_uid, folder=dicom_dir)
    image, _ = read_volume(series)
    labels = read_label_map(mask)
    check_same_grid(image, labels, None, mask, tolerance_mm)
    order, _, _ = slice_order(series)
    sources = [pydicom.dcmread(series.files[i]) for i in order]
    arr = (sitk.GetArrayFromImage(labels) > 0).astype(np.uint8)
    if not arr.any():
        raise CaseError(None, mask, "mask is empty; nothing to export")
    ident = None
    if algorithm:
        ident = hd.AlgorithmIdentificationSequence(name=algorithm, version=__version__, family=codes.cid7162.ArtificialIntelligence)
    description = hd.seg.SegmentDescription(
        segment_number=1,
        segment_label=label,
        segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=codes.SCT.Neoplasm,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC if algorithm else hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        algorithm_identification=ident,
    )
    seg = hd.seg.Segmentation(
        source_images=sources,
        pixel_array=arr,
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[description],
        series_instance_uid=hd.UID(),
        series_number=900,
        sop_instance_uid=hd.UID(),
        instance_number=1,
        manufacturer="radiodeep",
        manufacturer_model_name="radiodeep",
        software_versions=__version__,
        device_serial_number="0",
        series_description=f"radiodeep {label}",
    )
    with atomic_path(out) as tmp:
        seg.save_as(tmp)
    log.info("wrote DICOM-SEG %s (%d voxels, %d frames)", out, int(arr.sum()), int(arr.any(axis=(1, 2)).sum()))
    return Path(out)
