"""The preprocess stage for one case: resample image and mask, normalise intensities."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import NoRoi
from radiodeep.images import check_same_grid, itk_threads, read_image, read_label_map, write_image
from radiodeep.preprocess.intensity import normalised_with_reference
from radiodeep.preprocess.resample import resample_image, resample_label_map

log = logging.getLogger(__name__)


def preprocess_case(
    image_path: str | Path,
    mask_path: str | Path | None,
    out_image: str | Path,
    out_mask: str | Path | None,
    *,
    modality: str,
    spacing: Sequence[float] | None,
    interpolator: str = "linear",
    mr_reference: str = "body",
    case_id: str | None = None,
    has_reference_mask: bool = True,
    check_gzip: bool = True,
) -> dict:
    """Resample to ``spacing`` (None keeps the grid) and normalise; write image (and mask).

    ``has_reference_mask=False`` marks a case whose (all-zero) mask stands in for one that the
    segmentation stage will predict; an empty mask is then expected, not an error.

    ``check_gzip=False`` skips the gzip completeness check of the inputs, for files radiodeep
    wrote itself (atomically), as the batch entry's ingest outputs.

    Returns a small summary (new size and spacing, ROI voxel count) for the QC table.
    """
    image = read_image(image_path, case_id, check_gzip=check_gzip)
    mask = None
    if mask_path:
        mask = read_label_map(mask_path, case_id, check_gzip=check_gzip)
        check_same_grid(image, mask, case_id, mask_path)
    if spacing is not None:
        image = resample_image(image, spacing, interpolator)
        if mask is not None:
            mask = resample_label_map(mask, image)
    if has_reference_mask and mask is not None and not np.any(sitk.GetArrayViewFromImage(mask)):
        raise NoRoi(case_id, mask_path, f"ROI has no voxel left on the grid {list(spacing)} mm: set a finer "
                                        "preprocess.spacing (or leave it auto: the plan keeps every ROI)")
    image, reference = normalised_with_reference(image, modality, mask, mr_reference, case_id)
    write_image(image, out_image)
    summary = {"size": list(image.GetSize()), "spacing": list(image.GetSpacing()), "intensity_reference": reference}
    if mask is not None and out_mask is not None:
        write_image(mask, out_mask)
        summary["roi_voxels"] = int(np.count_nonzero(sitk.GetArrayViewFromImage(mask)))
    log.info("case %s: preprocessed to size %s spacing %s", case_id, summary["size"], summary["spacing"])
    return summary




def preprocess_batch(
    cases: list[dict],
    in_root: str | Path,
    out_root: str | Path,
    out_record: str | Path,
    settings: dict,
    *,
    upstream: dict[str, str] | None = None,
    on_error: str = "fail",
    threads: int = 1,
) -> dict:
    """:func:`preprocess_case` for each case in one process, SimpleITK on ``threads`` threads;
    write the batch record.

    Args:
        cases: one dict per case with ``case_id`` and ``has_reference_mask``.
        in_root, out_root: case ``c`` is read from ``in_root/c/{image,mask}.nii`` (ingest's
            output) and written to ``out_root/c/{image,mask}.nii`` (uncompressed internal files,
            :data:`radiodeep.records.INTERNAL_SUFFIX`).
        settings: ``modality``, ``spacing``, ``interpolator``, ``mr_reference`` (the workflow
            builds this dict in one place, ``PREPROCESS_SETTINGS`` in preprocess.smk).
        upstream: ``{case: reason}`` of cases that failed in ingest: recorded failed, not run.
    """
    from radiodeep.records import INTERNAL_SUFFIX, run_batch_cases

    in_root, out_root = Path(in_root), Path(out_root)
    files = (f"image{INTERNAL_SUFFIX}", f"mask{INTERNAL_SUFFIX}")
    has_mask = {c["case_id"]: bool(c.get("has_reference_mask", True)) for c in cases}

    def run_one(case_id: str) -> tuple[dict[str, Path], dict]:
        src, dst = in_root / case_id, out_root / case_id
        summary = preprocess_case(src / files[0], src / files[1], dst / files[0], dst / files[1],
                                  case_id=case_id, has_reference_mask=has_mask[case_id], check_gzip=False, **settings)
        return {name.split(".")[0]: dst / name for name in files}, summary

    with itk_threads(threads):
        return run_batch_cases("preprocess", list(has_mask), run_one, out_record, on_error=on_error,
                               upstream=upstream, cleanup=lambda c: [out_root / c / name for name in files])
