"""Several images of one case: carry a mask from one image to another (``mask_from``) and check
that the images' masks agree (centroid distance in mm and volume ratio between each pair).

Both work in patient coordinates (SimpleITK's physical space, mm): images of one case that
share a patient coordinate system (PET/CT of one scanner, MR registered to them) put one
tumour at one place, whatever their grids. The workflow carries the source image's *ingested*
mask (a label map on its grid, whatever the manifest gave: NIfTI/NRRD, RTSTRUCT or DICOM-SEG)
onto the target image read as ingest reads it (a NIfTI/NRRD file or a DICOM series).

Example:
    >>> carry_mask("CT_mask.nii.gz", "PET_image.nii.gz", "out.nii.gz", "STS_002", "PET", "CT")  # doctest: +SKIP
    >>> carry_mask("CT_mask.nii.gz", "STS_002/PET_dicom", "out.nii.gz", "STS_002", "PET", "CT", modality="PET")  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.images import write_image

QC_COLUMNS = ["case_id", "patient_id", "image_a", "image_b", "centroid_distance_mm", "dx_mm", "dy_mm", "dz_mm",
              "volume_a_ml", "volume_b_ml", "volume_ratio", "flag", "status", "reason"]


def read_as_ingest(image: str | Path, case_id: str, series_uid: str | None = None, modality: str | None = None,
                   slice_spacing: str = "error", slice_tolerance_mm: float = 0.01) -> sitk.Image:
    """The image on the grid ingest gives it: a NIfTI/NRRD file, or the series of a DICOM folder
    that ingest selects (``series_uid``, else by ``modality``) and stacks (``slice_spacing``)."""
    from radiodeep.ingest.stage import read_source_image

    return read_source_image(image, case_id, series_uid, modality, slice_spacing, slice_tolerance_mm)[0]


def _physical_box(image: sitk.Image, index_lo: Sequence[float], index_hi: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned physical box of the index box [lo, hi] (voxel edges included), via its 8 corners."""
    corners = [image.TransformContinuousIndexToPhysicalPoint([float(c) for c in corner])
               for corner in itertools.product(*zip(index_lo, index_hi, strict=True))]
    pts = np.asarray(corners)
    return pts.min(axis=0), pts.max(axis=0)


def mask_stats(mask: sitk.Image) -> tuple[np.ndarray | None, float]:
    """(centroid in patient coordinates, mm; volume in ml) of a mask's non-zero voxels."""
    arr = sitk.GetArrayViewFromImage(mask) != 0
    n = int(arr.sum())
    if n == 0:
        return None, 0.0
    zyx = np.argwhere(arr).mean(axis=0)
    centroid = np.asarray(mask.TransformContinuousIndexToPhysicalPoint([float(v) for v in zyx[::-1]]))
    voxel_ml = float(np.prod(mask.GetSpacing())) / 1000.0
    return centroid, n * voxel_ml


def carry_mask(source_mask: str | Path, target_image: str | Path, out: str | Path, case_id: str, image_name: str,
               source_name: str, tolerance_mm: float | None = None, **read_settings) -> sitk.Image:
    """Resample ``source_mask`` (the label map of image ``source_name``) onto the grid of
    ``target_image`` (a file or DICOM folder, read by :func:`read_as_ingest` with
    ``read_settings``) with nearest neighbour and write it to ``out``.

    The images must share a patient coordinate system: the mask's foreground must lie inside the
    target image's field of view (widened by ``tolerance_mm``, default one target voxel), else
    :class:`CaseError` names the case, the image and the file. Images in different patient
    coordinate systems (e.g. an MR not registered to the PET) put the mask elsewhere or outside.
    """
    mask = sitk.ReadImage(str(source_mask))
    target = read_as_ingest(target_image, case_id, **read_settings)
    if mask.GetDimension() != 3:
        raise CaseError(case_id, source_mask, f"image {image_name}: mask_from needs 3D volumes")
    arr = sitk.GetArrayViewFromImage(mask) != 0
    if not arr.any():
        raise CaseError(case_id, source_mask, f"image {image_name}: the mask of image {source_name} is empty")
    nz = np.argwhere(arr)
    lo, hi = nz.min(axis=0)[::-1] - 0.5, nz.max(axis=0)[::-1] + 0.5
    m_lo, m_hi = _physical_box(mask, lo, hi)
    size = np.asarray(target.GetSize(), dtype=float)
    t_lo, t_hi = _physical_box(target, [-0.5] * 3, size - 0.5)
    tol = max(target.GetSpacing()) if tolerance_mm is None else tolerance_mm
    if np.any(m_lo < t_lo - tol) or np.any(m_hi > t_hi + tol):
        raise CaseError(case_id, target_image, (
            f"image {image_name}: the mask of image {source_name} ({source_mask}) lies outside this image "
            f"(mask box {np.round(m_lo, 1).tolist()}..{np.round(m_hi, 1).tolist()} mm, image box "
            f"{np.round(t_lo, 1).tolist()}..{np.round(t_hi, 1).tolist()} mm): the two images are not in one "
            "patient coordinate system; register them first or give this image its own mask"))
    carried = sitk.Resample(sitk.Cast(mask != 0, sitk.sitkUInt8), target, sitk.Transform(), sitk.sitkNearestNeighbor, 0,
                            sitk.sitkUInt8)
    if not sitk.GetArrayViewFromImage(carried).any():
        raise CaseError(case_id, target_image, f"image {image_name}: the mask of image {source_name} covers no voxel "
                                               "of this image's grid; give this image its own mask")
    write_image(carried, out)
    return carried


def carry_ingested_mask(source_unit: str, ingest_records: Sequence[str | Path], target_image: str | Path,
                        out: str | Path, case_id: str, image_name: str, source_name: str,
                        ingest_dir: str | Path = "results/ingest", **read_settings) -> sitk.Image:
    """Workflow entry: carry the ingested mask of unit ``source_unit`` (``ingest_dir/<unit>/mask.nii``,
    listed ``ok`` in one of ``ingest_records``) onto ``target_image`` (:func:`carry_mask`)."""
    from radiodeep.records import INTERNAL_SUFFIX, failed_cases, read_records

    failed = failed_cases(read_records(ingest_records))
    if source_unit in failed:
        raise CaseError(case_id, target_image, f"image {image_name}: mask_from {source_name}: image {source_name} has no "
                                               f"mask to carry over (failed in {failed[source_unit]}); fix that image or "
                                               f"give image {image_name} its own mask")
    source = Path(ingest_dir) / source_unit / f"mask{INTERNAL_SUFFIX}"
    return carry_mask(source, target_image, out, case_id, image_name, source_name, **read_settings)


def cross_image_qc(cases: Mapping[str, Mapping[str, str | Path]], patients: Mapping[str, str], images: Sequence[str],
                   max_centroid_mm: float, max_volume_ratio: float) -> pd.DataFrame:
    """One row per case and pair of its images: centroid distance (mm, and per axis), volumes
    (ml) and their ratio (larger / smaller), flagged above the limits (status ``flagged``, kept in
    the models). A case lacking one of ``images`` gets a row with status ``missing_image``: it is
    kept in the feature sets of the images it has and left out of those needing the others.

    Args:
        cases: case id -> {image name: mask path (ingested, on that image's grid)}.
        patients: case id -> patient id.
        images: every image name of the manifest.
    """
    rows = []
    for case, masks in cases.items():
        base = {"case_id": case, "patient_id": patients.get(case, case)}
        missing = [name for name in images if name not in masks]
        if missing:
            rows.append({**base, "image_a": ",".join(missing), "flag": True, "status": "missing_image",
                         "reason": f"no image {', '.join(missing)} in the manifest: kept in the feature sets of its other "
                                   f"images ({', '.join(sorted(masks))}), left out of those needing {', '.join(missing)}"})
        stats = {name: mask_stats(sitk.ReadImage(str(path))) for name, path in masks.items()}
        for a, b in itertools.combinations([n for n in images if n in masks], 2):
            (ca, va), (cb, vb) = stats[a], stats[b]
            row = {**base, "image_a": a, "image_b": b, "volume_a_ml": va, "volume_b_ml": vb}
            if ca is None or cb is None:
                rows.append({**row, "flag": True, "status": "flagged",
                             "reason": f"empty mask in image {a if ca is None else b}"})
                continue
            d = cb - ca
            dist, ratio = float(np.linalg.norm(d)), max(va, vb) / min(va, vb)
            problems = []
            if dist > max_centroid_mm:
                problems.append(f"mask centroids {dist:.1f} mm apart (limit {max_centroid_mm:g} mm)")
            if ratio > max_volume_ratio:
                problems.append(f"mask volumes differ {ratio:.2f}-fold (limit {max_volume_ratio:g})")
            reason = ("; ".join(problems) + f" between {a} and {b}: check the registration and the masks; kept in the models"
                      if problems else "")
            rows.append({**row, "centroid_distance_mm": dist, "dx_mm": float(d[0]), "dy_mm": float(d[1]),
                         "dz_mm": float(d[2]), "volume_ratio": ratio, "flag": bool(problems),
                         "status": "flagged" if problems else "ok", "reason": reason})
    return pd.DataFrame(rows, columns=QC_COLUMNS)


def run_cross_image_qc(units: Sequence[Mapping[str, str]], ingest_records: Sequence[str | Path], images: Sequence[str],
                       out: str | Path, max_centroid_mm: float, max_volume_ratio: float,
                       ingest_dir: str | Path = "results/ingest") -> pd.DataFrame:
    """Workflow entry: the units' ingested masks (units that failed ingest count as missing,
    with the ingest reason) -> ``cross_image_qc.csv``."""
    from radiodeep.io import write_table
    from radiodeep.records import failed_cases, read_records

    failed = failed_cases(read_records(ingest_records))
    cases: dict[str, dict[str, Path]] = {}
    patients = {}
    for u in units:
        patients[u["parent_id"]] = u["patient_id"]
        masks = cases.setdefault(u["parent_id"], {})
        if u["case_id"] not in failed:
            masks[u["image_name"]] = Path(ingest_dir) / u["case_id"] / "mask.nii"  # the ingest batch's uncompressed copy
    table = cross_image_qc(cases, patients, images, max_centroid_mm, max_volume_ratio)
    for i in table.index[table["status"] == "missing_image"]:
        unit = {name: f"{table.at[i, 'case_id']}__{name}" for name in str(table.at[i, "image_a"]).split(",")}
        why = [f"{name}: failed in {failed[u]}" for name, u in unit.items() if u in failed]
        if why:
            table.at[i, "reason"] += "; " + "; ".join(why)
    write_table(table, out)
    return table
