"""A DICOM image series to one 3D volume: slice order, spacing checks, rescale (HU) and SUV.

Slices are ordered by the projection of ImagePositionPatient on the slice normal (the cross
product of the ImageOrientationPatient cosines), never by file name or InstanceNumber. Pixels
of uncompressed series are read by SimpleITK/GDCM, which applies each slice's
RescaleSlope/Intercept (CT: HU); compressed ones by pydicom's decoders (:mod:`radiodeep.ingest.pixels`)
with the same rescale; an enhanced multi-frame file by highdicom (:mod:`radiodeep.ingest.multiframe`).

Example:
    >>> image, info = read_volume(series, case_id="P1")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.ingest import pixels
from radiodeep.ingest.series import Series
from radiodeep.ingest.units import to_image

log = logging.getLogger(__name__)


def _floats(value, n: int, what: str, case_id, path) -> np.ndarray:
    try:
        arr = np.asarray([float(v) for v in value], dtype=float)
    except (TypeError, ValueError) as exc:
        raise CaseError(case_id, path, f"{what} is missing or not numeric") from exc
    if arr.size != n:
        raise CaseError(case_id, path, f"{what} has {arr.size} values, {n} expected")
    return arr


def slice_order(series: Series, case_id: str | None = None) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Indices of the files sorted along the slice normal, their positions (mm) and the 3x3 direction."""
    first = series.headers[0]
    iop = _floats(first.get("ImageOrientationPatient"), 6, "ImageOrientationPatient", case_id, series.files[0])
    row, col = iop[:3], iop[3:]
    normal = np.cross(row, col)
    positions = []
    for path, ds in zip(series.files, series.headers, strict=True):
        other = _floats(ds.get("ImageOrientationPatient"), 6, "ImageOrientationPatient", case_id, path)
        if not np.allclose(other, iop, atol=1e-4):
            raise CaseError(case_id, path, f"ImageOrientationPatient {other.tolist()} differs from the series' {iop.tolist()} (tilted or mixed series)")
        if (ds.get("Rows"), ds.get("Columns")) != (first.get("Rows"), first.get("Columns")):
            raise CaseError(case_id, path, "slice size (Rows, Columns) differs from the rest of the series")
        ipp = _floats(ds.get("ImagePositionPatient"), 3, "ImagePositionPatient", case_id, path)
        positions.append(float(ipp @ normal))
    order = list(np.argsort(positions, kind="stable"))
    pos = np.asarray(positions)[order]
    direction = np.column_stack([row, col, normal])
    return order, pos, direction


# attributes that tell the stacks of a multi-echo, diffusion, 4D or repeated acquisition apart
STACK_KEYS = {"EchoNumbers": "echo", "EchoTime": "EchoTime", "DiffusionBValue": "b-value",
              "TemporalPositionIdentifier": "temporal position", "TriggerTime": "TriggerTime", "AcquisitionNumber": "acquisition"}


def check_stacks(series: Series, positions: np.ndarray, case_id: str | None, folder) -> None:
    """Several slices at one position because the series holds several stacks: an error listing them.

    Raises:
        CaseError: the series has repeated positions and one of :data:`STACK_KEYS` varies.
    """
    if len(np.unique(np.round(positions, 3))) == len(positions):
        return
    values = {kw: [str(ds.get(kw, "")) for ds in series.headers] for kw in STACK_KEYS}
    varying = [kw for kw, v in values.items() if len(set(v)) > 1]
    if not varying:
        return  # check_spacing names the shared position
    keys = list(zip(*(values[kw] for kw in varying), strict=True))
    listing = "; ".join(
        ", ".join(f"{STACK_KEYS[kw]} {v}" for kw, v in zip(varying, key, strict=True)) + f" ({keys.count(key)} slices)"
        for key in sorted(set(keys))
    )
    raise CaseError(case_id, folder, f"series {series.uid} holds {len(set(keys))} image stacks at the same slice positions "
                                     f"(multi-echo, diffusion or 4D series): {listing}; put the wanted stack's files in a folder "
                                     "of their own (or give it its own SeriesInstanceUID) and name that in the manifest")


def check_spacing(
    positions: np.ndarray, case_id: str | None, folder: str | Path, tolerance_mm: float, mode: str
) -> tuple[float, bool]:
    """Slice spacing (median gap) and whether the slices must be resampled to a uniform grid.

    Raises:
        CaseError: duplicate positions; or (``mode='error'``) a missing slice or non-uniform spacing.
    """
    if len(positions) < 2:
        raise CaseError(case_id, folder, f"series has {len(positions)} slice; a 3D volume needs at least 2")
    gaps = np.diff(positions)
    if np.any(gaps < tolerance_mm):
        i = int(np.argmin(gaps))
        raise CaseError(case_id, folder, f"two slices share position {positions[i]:.3f} mm (several frames or series mixed)")
    spacing = float(np.median(gaps))
    bad = np.flatnonzero(np.abs(gaps - spacing) > tolerance_mm)
    if bad.size == 0:
        return spacing, False
    missing = [i for i in bad if gaps[i] > 1.5 * spacing]
    what = (
        f"missing slice(s): gap of {gaps[missing[0]]:.3f} mm after position {positions[missing[0]]:.3f} mm where {spacing:.3f} mm is expected"
        if missing
        else f"non-uniform slice spacing: gaps from {gaps.min():.4f} to {gaps.max():.4f} mm (tolerance {tolerance_mm} mm)"
    )
    if mode != "resample":
        raise CaseError(case_id, folder, f"{what}; set ingest.slice_spacing: resample to interpolate onto a uniform grid")
    log.warning("case %s: %s; resampling to a uniform %.4f mm grid (linear along the slice axis)", case_id, what, spacing)
    return spacing, True


def _read_pixels(files: list[Path], headers: list, case_id: str | None, folder) -> np.ndarray:
    if any(pixels.transfer_syntax(ds) not in pixels.NATIVE for ds in headers):
        return np.stack([pixels.rescale(pixels.decode_file(f, ds, case_id), ds) for f, ds in zip(files, headers, strict=True)])
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames([str(f) for f in files])
    reader.SetOutputPixelType(sitk.sitkFloat64)
    try:
        return sitk.GetArrayFromImage(reader.Execute())
    except RuntimeError:
        pass
    for f in files:  # name the file that fails
        try:
            r = sitk.ImageFileReader()
            r.SetImageIO("GDCMImageIO")
            r.SetFileName(str(f))
            r.Execute()
        except RuntimeError as exc:
            raise CaseError(case_id, f, "cannot read pixel data (truncated or corrupt DICOM file)") from exc
    raise CaseError(case_id, folder, "cannot read the series' pixel data")


def read_volume(
    series: Series,
    case_id: str | None = None,
    slice_spacing: str = "error",
    slice_tolerance_mm: float = 0.01,
) -> tuple[sitk.Image, dict]:
    """Read a series as a float32 volume in HU (CT), SUVbw (PET) or stored units (other).

    Args:
        slice_spacing: ``error`` (missing slices or non-uniform spacing raise) or ``resample``.
        slice_tolerance_mm: the largest accepted deviation of a gap from the median gap.

    Returns:
        The image (LPS geometry from the headers) and facts for the header (units, SUV factor).
    """
    if series.multiframe:
        from radiodeep.ingest.multiframe import read_multiframe

        return read_multiframe(series, case_id)
    folder = series.files[0].parent
    order, positions, direction = slice_order(series, case_id)
    check_stacks(series, positions, case_id, folder)
    dz, resample = check_spacing(positions, case_id, folder, slice_tolerance_mm, slice_spacing)
    files = [series.files[i] for i in order]
    first = series.headers[order[0]]
    arr = _read_pixels(files, [series.headers[i] for i in order], case_id, folder)
    if arr.shape[0] != len(files):
        raise CaseError(case_id, folder, f"read {arr.shape[0]} slices from {len(files)} files (a multi-frame file among single-frame slices)")
    if resample:
        grid = positions[0] + dz * np.arange(int(round((positions[-1] - positions[0]) / dz)) + 1)
        idx = np.clip(np.searchsorted(positions, grid, side="right") - 1, 0, len(positions) - 2)
        w = ((grid - positions[idx]) / (positions[idx + 1] - positions[idx]))[:, None, None]
        arr = (1 - w) * arr[idx] + w * arr[idx + 1]
    info: dict = {"n_slices": len(files), "resampled_slices": bool(resample), "multiframe": False,
                  "transfer_syntax": pixels.syntax_name(pixels.transfer_syntax(first))}
    row_mm, col_mm = (float(v) for v in first.PixelSpacing)  # (row spacing = y, column spacing = x)
    spacing = (col_mm, row_mm, dz)
    return to_image(arr, series.modality, first, spacing, first.ImagePositionPatient, direction, info, case_id, files[0])
