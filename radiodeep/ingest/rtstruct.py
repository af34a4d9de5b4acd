"""RTSTRUCT contours rasterised on an image grid, from their patient-space coordinates.

Contours are mapped to continuous voxel indices with the image's origin, spacing and
direction (SOP Instance UIDs are not used: archives often re-export series with new UIDs).
Every closed planar contour of a slice is filled by one even-odd ray cast at the voxel
centres, so a contour inside another is a hole and several contours per slice add up
(XOR of the single fills).

Example:
    >>> ds = read_rtstruct("RS.dcm")  # doctest: +SKIP
    >>> mask = rasterise(ds, select_roi(ds, "GTV.*"), image)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk

from radiodeep.errors import CaseError

log = logging.getLogger(__name__)


def read_rtstruct(path: str | Path, case_id: str | None = None) -> pydicom.Dataset:
    try:
        ds = pydicom.dcmread(path)
    except Exception as exc:
        raise CaseError(case_id, path, f"cannot read RTSTRUCT ({type(exc).__name__}: {exc})") from exc
    if ds.get("Modality") != "RTSTRUCT" or "StructureSetROISequence" not in ds:
        raise CaseError(case_id, path, f"not an RTSTRUCT (Modality {ds.get('Modality')!r})")
    return ds


def roi_names(ds: pydicom.Dataset) -> dict[int, str]:
    """ROI number -> name."""
    return {int(r.ROINumber): str(r.ROIName) for r in ds.StructureSetROISequence}


def select_roi(ds: pydicom.Dataset, roi: str | None, case_id=None, path=None) -> int:
    """The ROI number named ``roi`` (exact name, else case-insensitive full regex match).

    With ``roi`` None the structure set must hold exactly one ROI.
    """
    names = roi_names(ds)
    present = ", ".join(repr(n) for n in names.values())
    if not roi:
        if len(names) == 1:
            return next(iter(names))
        raise CaseError(case_id, path, f"RTSTRUCT holds {len(names)} ROIs; choose one with the roi column or ingest.roi: {present}")
    exact = [k for k, n in names.items() if n == roi]
    if exact:
        return exact[0]
    try:
        pattern = re.compile(roi, re.IGNORECASE)
    except re.error:
        pattern = re.compile(re.escape(roi), re.IGNORECASE)
    hits = [k for k, n in names.items() if pattern.fullmatch(n)]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise CaseError(case_id, path, f"ROI {roi!r} not found; ROIs present: {present}")
    raise CaseError(case_id, path, f"ROI {roi!r} matches several ROIs ({', '.join(names[k] for k in hits)}); give an exact name")


def check_frame_of_reference(ds: pydicom.Dataset, roi_number: int, frame_uid: str, series_uid: str, case_id=None, path=None,
                             mode: str = "check") -> str:
    """The ROI must lie in the image's frame of reference; another referenced series only warns.

    Args:
        mode: ``check`` refuses an ROI in another FrameOfReferenceUID; ``trust_geometry`` warns
            and lets it through (the caller then requires every contour inside the image volume).

    Returns:
        ``match``, or ``mismatch`` (only with ``trust_geometry``): the value of the QC table's
        ``frame_of_reference`` column.
    """
    roi = next(r for r in ds.StructureSetROISequence if int(r.ROINumber) == roi_number)
    roi_frame = str(roi.get("ReferencedFrameOfReferenceUID", ""))
    frames = {roi_frame} if roi_frame else {
        str(fr.FrameOfReferenceUID) for fr in ds.get("ReferencedFrameOfReferenceSequence", []) if "FrameOfReferenceUID" in fr
    }
    status = "match"
    if frame_uid and frames and frame_uid not in frames:
        problem = f"RTSTRUCT ROI {roi.ROIName!r} is in FrameOfReferenceUID {', '.join(sorted(frames))}, the image in {frame_uid}: it was drawn on another series"
        if mode != "trust_geometry":
            raise CaseError(case_id, path, f"{problem}; if its contours lie on this image in patient coordinates, set "
                                           "ingest.frame_of_reference: trust_geometry (or list the case in ingest.trust_geometry_cases)")
        log.warning("case %s: %s; rasterised anyway (ingest.frame_of_reference: trust_geometry), flagged in the ingest QC table", case_id, problem)
        status = "mismatch"
    referenced = {
        str(se.SeriesInstanceUID)
        for fr in ds.get("ReferencedFrameOfReferenceSequence", [])
        for st in fr.get("RTReferencedStudySequence", [])
        for se in st.get("RTReferencedSeriesSequence", [])
    }
    if referenced and series_uid not in referenced:
        log.warning("case %s: RTSTRUCT references another series UID in the same frame of reference; contours are placed by coordinates", case_id)
    return status


def distance_outside_mm(idx: np.ndarray, size: tuple[int, int, int], spacing) -> np.ndarray:
    """Per point, how far (mm) continuous voxel indices (x, y, z) lie outside the volume's voxel bounds."""
    lo, hi = -0.5, np.asarray(size, float) - 0.5
    beyond = np.maximum(lo - idx, 0) + np.maximum(idx - hi, 0)
    return np.linalg.norm(beyond * np.asarray(spacing, float), axis=1)


def fill_even_odd(polygons: list[np.ndarray], shape_yx: tuple[int, int]) -> np.ndarray:
    """Boolean (y, x) mask of voxel centres inside the polygons by the even-odd rule.

    Args:
        polygons: arrays of (x, y) vertices in continuous voxel indices.
    """
    ny, nx = shape_yx
    edges = np.concatenate([np.column_stack([p, np.roll(p, -1, axis=0)]) for p in polygons])
    x0, y0, x1, y1 = edges.T
    out = np.zeros(shape_yx, bool)
    xs = np.arange(nx)
    lo = max(0, int(np.floor(min(y0.min(), y1.min()))))
    hi = min(ny - 1, int(np.ceil(max(y0.max(), y1.max()))))
    for j in range(lo, hi + 1):
        crosses = (y0 <= j) != (y1 <= j)  # half-open, so a vertex on the ray counts once
        if not crosses.any():
            continue
        xc = x0[crosses] + (j - y0[crosses]) * (x1[crosses] - x0[crosses]) / (y1[crosses] - y0[crosses])
        out[j] = (np.count_nonzero(xc[:, None] < xs[None, :], axis=0) % 2) == 1
    return out


def rasterise(ds: pydicom.Dataset, roi_number: int, image: sitk.Image, case_id=None, path=None,
              require_inside: bool = False) -> sitk.Image:
    """The ROI as a uint8 label map (0/1) on ``image``'s grid.

    Args:
        require_inside: every contour point must lie inside the image volume (else an error naming
            how far outside); used when the frame of reference is trusted rather than checked.
    """
    items = [rc for rc in ds.get("ROIContourSequence", []) if int(rc.ReferencedROINumber) == roi_number]
    contours = [c for rc in items for c in rc.get("ContourSequence", [])]
    name = roi_names(ds)[roi_number]
    if not contours:
        raise CaseError(case_id, path, f"ROI {name!r} has no contours")
    origin = np.asarray(image.GetOrigin())
    to_index = np.linalg.inv(np.asarray(image.GetDirection()).reshape(3, 3) * np.asarray(image.GetSpacing()))
    nx, ny, nz = image.GetSize()
    by_slice: dict[int, list[np.ndarray]] = {}
    outside = off_plane = skipped = 0
    farthest = 0.0
    for c in contours:
        if str(c.get("ContourGeometricType", "CLOSED_PLANAR")) != "CLOSED_PLANAR":
            skipped += 1
            continue
        pts = np.asarray(c.ContourData, dtype=float).reshape(-1, 3)
        idx = (pts - origin) @ to_index.T
        farthest = max(farthest, float(distance_outside_mm(idx, (nx, ny, nz), image.GetSpacing()).max()))
        k = float(np.mean(idx[:, 2]))
        if np.ptp(idx[:, 2]) > 0.1:
            off_plane += 1
        ks = int(round(k))
        if not 0 <= ks < nz:
            outside += 1
            continue
        by_slice.setdefault(ks, []).append(idx[:, :2])
    where = f"contour points lie up to {farthest:.1f} mm outside the image volume ({outside} of {len(contours)} contours on no slice)"
    if require_inside and farthest > 0:
        raise CaseError(case_id, path, f"ROI {name!r}: {where}; the RTSTRUCT was not drawn on this image, so its geometry cannot be trusted")
    if skipped or off_plane or outside or farthest > 0:
        log.warning("case %s: ROI %r: %d non-closed contours skipped, %d not in a slice plane, %d outside the image (up to %.1f mm)",
                    case_id, name, skipped, off_plane, outside, farthest)
    arr = np.zeros((nz, ny, nx), np.uint8)
    for k, polys in by_slice.items():
        arr[k] = fill_even_odd(polys, (ny, nx))
    if not arr.any():
        raise CaseError(case_id, path, f"ROI {name!r} covers no voxel centre of the image grid"
                                       + (f" ({where})" if farthest > 0 else ""))
    mask = sitk.GetImageFromArray(arr)
    mask.CopyInformation(image)
    return mask
