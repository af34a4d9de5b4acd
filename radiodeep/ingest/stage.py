"""The ingest stage for one case: image (+ mask) to NIfTI and a header without patient identity.

The image is a NIfTI/NRRD file or a DICOM folder (series chosen by ``series_uid`` or the rule in
:mod:`radiodeep.ingest.series`); the mask a NIfTI/NRRD label map, an RTSTRUCT or a DICOM-SEG.
Everything is read and checked before the first output is written, so a bad case leaves no
partial output.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.images import (
    check_same_grid,
    geometry,
    itk_threads,
    read_image,
    read_label_map,
    write_image,
)
from radiodeep.io import write_json

# The DICOM modules (pydicom: ~0.5 s to import, pandas with the header module: ~0.6 s) are
# imported where a DICOM source or mask is read: a NIfTI cohort's ingest jobs never load them.
log = logging.getLogger(__name__)
LABEL_MAP_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")
FRAME_OF_REFERENCE_MODES = ("check", "trust_geometry")  # ingest.frame_of_reference


def mask_format(path: str | Path, case_id: str | None = None) -> str:
    """``label_map``, ``rtstruct`` or ``seg``, from the name or the DICOM Modality."""
    path = Path(path)
    if path.name.lower().endswith(LABEL_MAP_SUFFIXES):
        return "label_map"
    if path.is_dir():
        raise CaseError(case_id, path, "mask must be a file (NIfTI/NRRD, RTSTRUCT or DICOM-SEG), not a folder")
    try:
        import pydicom

        modality = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["Modality"]).get("Modality")
    except Exception as exc:
        raise CaseError(case_id, path, f"mask is neither NIfTI/NRRD nor readable DICOM ({type(exc).__name__})") from exc
    if modality in ("RTSTRUCT", "SEG"):
        return modality.lower()
    raise CaseError(case_id, path, f"DICOM mask has Modality {modality!r}; RTSTRUCT or SEG expected")


def _label_map(path, image, roi, case_id, tolerance_mm, required_label: int | None = 1) -> sitk.Image:
    """The label map on the image's grid: within ``tolerance_mm`` it takes the image's geometry
    exactly, so no later stage sees a difference. Without ``roi``, a mask lacking
    ``required_label`` (the label radiomics extracts by default) is an error naming the fix."""
    msk = read_label_map(path, case_id)
    check_same_grid(image, msk, case_id, path, tolerance_mm)
    msk.CopyInformation(image)
    if not roi:
        if required_label is not None:
            present = sorted(int(v) for v in np.unique(sitk.GetArrayViewFromImage(msk)) if v)
            if present and required_label not in present:
                raise CaseError(case_id, path, f"mask holds labels {present} but not {required_label}, the label "
                                               f"extracted by default: set the manifest's roi column to the label to "
                                               f"use (e.g. {present[0]}) or radiomics.labels (e.g. all)")
        return msk
    try:
        value = int(roi)
    except ValueError as exc:
        raise CaseError(case_id, path, f"roi {roi!r} must be a label value for a NIfTI/NRRD mask") from exc
    present = sorted(int(v) for v in np.unique(sitk.GetArrayViewFromImage(msk)) if v)
    if value not in present:
        raise CaseError(case_id, path, f"label {value} not in mask; labels present: {present}")
    return sitk.Cast(msk == value, sitk.sitkUInt8)


def read_mask(path, image, *, case_id=None, roi=None, default_roi=None, frame_uid=None, series_uid=None,
              tolerance_mm=1e-3, required_label: int | None = 1, frame_of_reference="check") -> tuple[sitk.Image, str, str | None, str]:
    """The mask on ``image``'s grid, its format, the ROI used and the frame-of-reference status.

    ``default_roi`` (a name or regex) applies to RTSTRUCT/SEG masks when ``roi`` is empty.
    ``frame_of_reference``: ``check`` refuses a DICOM mask in another FrameOfReferenceUID;
    ``trust_geometry`` accepts it (warning) when its contours lie inside the image volume (SEG:
    on the image lattice). The status is ``match``, ``mismatch`` (trusted) or ``not_checked``.
    """
    kind = mask_format(path, case_id)
    if kind == "label_map":
        return _label_map(path, image, roi, case_id, tolerance_mm, required_label), kind, roi, "not_checked"
    roi = roi or default_roi
    trust = frame_of_reference == "trust_geometry"
    if kind == "seg":
        from radiodeep.ingest.seg import read_seg, seg_frame_of_reference

        status = "not_checked" if frame_uid is None else "match"
        seg_frame = seg_frame_of_reference(path)
        if trust and frame_uid and seg_frame not in ("", frame_uid):
            log.warning("case %s: SEG FrameOfReferenceUID %s differs from the image's %s; read anyway (ingest.frame_of_reference: "
                        "trust_geometry), flagged in the ingest QC table", case_id, seg_frame, frame_uid)
            frame_uid, status = None, "mismatch"
        return read_seg(path, image, frame_uid, roi, case_id, tolerance_mm), kind, roi, status
    from radiodeep.ingest import rtstruct

    ds = rtstruct.read_rtstruct(path, case_id)
    number = rtstruct.select_roi(ds, roi, case_id, path)
    if frame_uid is None:
        log.warning("case %s: image is not DICOM; RTSTRUCT frame of reference not checked", case_id)
        status = "not_checked"
    else:
        status = rtstruct.check_frame_of_reference(ds, number, frame_uid, series_uid or "", case_id, path, frame_of_reference)
    mask = rtstruct.rasterise(ds, number, image, case_id, path, require_inside=status == "mismatch")
    return mask, kind, rtstruct.roi_names(ds)[number], status


def read_source_image(image: str | Path, case_id: str | None, series_uid: str | None = None,
                      modality: str | None = None, slice_spacing: str = "error", slice_tolerance_mm: float = 0.01):
    """(image, DICOM series or None, the stacking's header fields) of a manifest's image: a
    NIfTI/NRRD file, or the series of a DICOM folder chosen by ``series_uid`` (else by ``modality``)
    and stacked with ``slice_spacing`` / ``slice_tolerance_mm``; the grid every stage then uses."""
    path = Path(image)
    if not path.is_dir():
        return read_image(path, case_id), None, {}
    from radiodeep.ingest.series import discover_series, select_series
    from radiodeep.ingest.volume import read_volume

    series = select_series(discover_series(path, case_id), series_uid or None, modality or None, case_id, path)
    img, info = read_volume(series, case_id, slice_spacing, slice_tolerance_mm)
    return img, series, info


def ingest_case(
    image: str | Path,
    mask: str | Path | None,
    out_dir: str | Path,
    *,
    case_id: str | None = None,
    roi: str | None = None,
    series_uid: str | None = None,
    modality: str | None = None,
    grid_tolerance_mm: float = 1e-3,
    slice_spacing: str = "error",
    slice_tolerance_mm: float = 0.01,
    uid_salt: str = "",
    keep_uids: bool = False,
    default_roi: str | None = None,
    required_label: int | None = 1,
    frame_of_reference: str = "check",
    trust_geometry_cases: Sequence[str] = (),
    suffix: str = ".nii.gz",
    fingerprint: bool = False,
) -> dict:
    """Write ``out_dir/image<suffix>``, ``out_dir/mask<suffix>`` and ``out_dir/header.json``.

    Args:
        image: NIfTI/NRRD file or DICOM folder.
        mask: NIfTI/NRRD label map, RTSTRUCT or DICOM-SEG file, or None (an empty mask is
            written and ``has_reference_mask`` is false in the header).
        roi: label value (NIfTI/NRRD), ROI name or regex (RTSTRUCT), segment label or number (SEG).
        series_uid: the SeriesInstanceUID to read from a DICOM folder holding several series.
        modality: CT, MR or PET: restricts automatic series selection to that modality.
        grid_tolerance_mm: largest accepted difference of mask and image origin/spacing.
        slice_spacing: ``error`` or ``resample`` for missing slices / non-uniform spacing.
        slice_tolerance_mm: largest accepted deviation of a slice gap from the median gap.
        uid_salt, keep_uids: UIDs go to the header as salted hashes unless ``keep_uids``.
        default_roi: ROI name/regex used for RTSTRUCT/SEG when ``roi`` is empty.
        required_label: label a NIfTI/NRRD mask must hold when ``roi`` is empty (radiomics'
            default label); None when radiomics extracts other labels (``radiomics.labels``).
        frame_of_reference: ``check`` (a DICOM mask in another FrameOfReferenceUID is refused) or
            ``trust_geometry`` (accepted with a warning when its contours lie inside the image;
            ``frame_of_reference: mismatch`` in the header and QC table).
        trust_geometry_cases: case ids that get ``trust_geometry`` whatever ``frame_of_reference`` says.
        suffix: the images' file type: ``.nii.gz`` (gzip) or ``.nii`` (uncompressed: the
            workflow's internal copies, :data:`radiodeep.records.INTERNAL_SUFFIX`).
        fingerprint: also write ``out_dir/fingerprint.npz``, what the cohort plan needs of the
            case (:func:`radiodeep.plan.fingerprint.save_fingerprint`), while the image is in memory.

    Returns:
        The header dictionary (acquisition fields, geometry, ROI voxel count).

    Example:
        >>> ingest_case("STS_001/image", "STS_001/mask/RS.dcm", "out", roi="GTV_Mass_PET")  # doctest: +SKIP
    """
    out_dir = Path(out_dir)
    image_path = Path(image)
    header: dict = {"case_id": case_id}
    frame_uid = chosen_uid = None
    img, series, info = read_source_image(image_path, case_id, series_uid, modality, slice_spacing, slice_tolerance_mm)
    if series is not None:
        header.update(source_format="dicom", **info)
        from radiodeep.ingest.header import acquisition_fields

        header.update(acquisition_fields(series.header, uid_salt, keep_uids))
        frame_uid, chosen_uid = series.frame_of_reference, series.uid
    else:
        header["source_format"] = "nifti" if ".nii" in image_path.name else image_path.suffix.lstrip(".")
    header.update(geometry(img))
    arr = sitk.GetArrayViewFromImage(img)
    if not np.all(np.isfinite(arr)):
        raise CaseError(case_id, image_path, f"image holds {int(np.sum(~np.isfinite(arr)))} NaN/inf voxels; "
                                             "replace them (e.g. by the background value) or leave the case out")
    if arr.size and arr.min() == arr.max():
        raise CaseError(case_id, image_path, f"image is constant (every voxel {float(arr.min()):g}): it holds no "
                                             "texture to measure or segment; check the export, or leave the case out")
    header["has_reference_mask"] = bool(mask)
    if frame_of_reference not in FRAME_OF_REFERENCE_MODES:
        raise CaseError(case_id, None, f"ingest.frame_of_reference {frame_of_reference!r} must be one of {', '.join(FRAME_OF_REFERENCE_MODES)}")
    header["frame_of_reference"] = ""
    if mask:
        msk, header["mask_format"], header["roi"], header["frame_of_reference"] = read_mask(
            mask, img, case_id=case_id, roi=roi, default_roi=default_roi,
            frame_uid=frame_uid, series_uid=chosen_uid, tolerance_mm=grid_tolerance_mm, required_label=required_label,
            frame_of_reference="trust_geometry" if case_id in set(trust_geometry_cases) else frame_of_reference,
        )
        header["roi_voxels"] = int(np.count_nonzero(sitk.GetArrayViewFromImage(msk)))
        if header["roi_voxels"] == 0:
            raise CaseError(case_id, mask, "mask is empty (no voxel > 0)")
    else:  # an empty label map keeps the outputs uniform; segmentation fills it in
        msk = sitk.Image(img.GetSize(), sitk.sitkUInt8)
        msk.CopyInformation(img)
        header["roi_voxels"] = 0
    out_dir.mkdir(parents=True, exist_ok=True)
    write_image(img, out_dir / f"image{suffix}")
    write_image(msk, out_dir / f"mask{suffix}")
    write_json(header, out_dir / "header.json")
    if fingerprint:
        from radiodeep.plan.fingerprint import save_fingerprint

        save_fingerprint(out_dir / "fingerprint.npz", case_id, img, msk, modality)
    log.info("case %s: ingested %s", case_id, image_path.name)
    return header


def ingest_files(suffix: str, fingerprint: bool = False) -> tuple[str, ...]:
    """The files :func:`ingest_case` writes into a case's folder."""
    return f"image{suffix}", f"mask{suffix}", "header.json", *(("fingerprint.npz",) if fingerprint else ())


def ingest_batch(
    cases: list[dict],
    out_root: str | Path,
    out_record: str | Path,
    *,
    on_error: str = "fail",
    threads: int = 1,
    **settings,
) -> dict:
    """:func:`ingest_case` for each case in one process, SimpleITK on ``threads`` threads; write
    the batch record.

    Args:
        cases: one dict per case with ``case_id``, ``image`` and optional ``mask``, ``roi``,
            ``series_uid`` (the manifest's columns).
        out_root: each case goes to ``out_root/<case_id>/`` (image.nii, mask.nii: uncompressed,
            :data:`radiodeep.records.INTERNAL_SUFFIX`; header.json; fingerprint.npz for the plan).
        out_record: the batch record (:mod:`radiodeep.records`): per case ``ok`` with the
            SHA-256 of its files, or ``failed`` with the reason (``on_error='skip'``).
        settings: :func:`ingest_case`'s keyword arguments shared by every case (modality,
            grid_tolerance_mm, slice_spacing, slice_tolerance_mm, uid_salt, keep_uids, default_roi).
    """
    from radiodeep.records import INTERNAL_SUFFIX, run_batch_cases

    out_root = Path(out_root)
    rows = {c["case_id"]: c for c in cases}
    files = ingest_files(INTERNAL_SUFFIX, fingerprint=True)

    def run_one(case_id: str) -> dict[str, Path]:
        row = rows[case_id]
        ingest_case(row["image"], row.get("mask") or None, out_root / case_id, case_id=case_id,
                    roi=row.get("roi") or None, series_uid=row.get("series_uid") or None,
                    suffix=INTERNAL_SUFFIX, fingerprint=True, **settings)
        return {name.split(".")[0]: out_root / case_id / name for name in files}

    with itk_threads(threads):
        return run_batch_cases("ingest", list(rows), run_one, out_record, on_error=on_error,
                               cleanup=lambda c: [out_root / c / name for name in files])
