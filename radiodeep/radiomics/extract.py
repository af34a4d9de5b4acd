"""pyradiomics feature extraction for one case, or a batch of cases in one process.

pyradiomics computes every value; radiodeep only chooses the parameters, checks the inputs,
separates features from ``diagnostics_*`` entries and, with ``workers > 1``, spreads one case's
images (original, LoG sigmas, wavelet sub-bands) over processes (:mod:`radiodeep.radiomics.parallel`).
How pyradiomics is called is in :mod:`radiodeep.radiomics.engine`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError, NoRoi
from radiodeep.images import check_same_grid, itk_threads, read_image, read_label_map
from radiodeep.io import write_json
from radiodeep.radiomics import ibsi
from radiodeep.radiomics.engine import _Prepared, _pyradiomics_run, _split_result, extractor
from radiodeep.radiomics.parallel import _execute_split
from radiodeep.radiomics.presets import preset_hash

log = logging.getLogger(__name__)

_MODES = ("pyradiomics", "ibsi")


# pyradiomics' messages for an ROI too small for its texture matrices (imageoperations.checkMask)
_TOO_SMALL = ("too small", "too few dimensions", "minimumROI")


def _check_inputs(image: sitk.Image, mask: sitk.Image, label: int, case_id, image_path, mask_path,
                  predicted: bool = False) -> np.ndarray:
    """Raise CaseError for a mask that does not fit the image or has no usable ROI (NoRoi: an
    empty U-Net mask, or an ROI of fewer than 2 voxels); return the ROI (z, y, x)."""
    check_same_grid(image, mask, case_id, mask_path)
    arr = sitk.GetArrayViewFromImage(mask)
    roi = arr == label
    n = int(np.count_nonzero(roi))
    if n == 0:
        present = [int(v) for v in np.unique(arr) if v != 0]
        if not present:
            if predicted:
                raise NoRoi(case_id, mask_path, "the U-Net found no ROI (predicted mask is empty)")
            raise CaseError(case_id, mask_path, "mask is empty (no voxel > 0)")
        raise CaseError(case_id, mask_path, f"label {label} is absent from the mask; labels present: {present}; "
                                            "set the manifest's roi column or radiomics.labels")
    if n < 2:
        raise NoRoi(case_id, mask_path, f"ROI (label {label}) has {n} voxel on this grid; texture features need at least 2")
    values = sitk.GetArrayViewFromImage(image)[roi]
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        raise CaseError(case_id, image_path, f"{int(np.sum(~np.isfinite(values)))} NaN/inf voxels inside the ROI")
    return roi


def _prepare(image: sitk.Image, mask: sitk.Image, params: dict, label: int, mode: str) -> _Prepared:
    if mode not in _MODES:
        raise ValueError(f"radiomics mode must be 'pyradiomics' or 'ibsi', not {mode!r}")
    if mode == "pyradiomics":
        return _Prepared(image, mask, label, {k: v for k, v in params.items() if k not in ibsi.RADIODEEP_SECTIONS})
    # scipy (~0.5 s to import): IBSI 2 filters only, not in every radiomics job
    from radiodeep.radiomics.filters import filter_settings

    settings = ibsi.ibsi_settings(params)
    filters = [filter_settings(entry) for entry in params.get("ibsi_filters") or []]  # checked before any work
    image, roi = ibsi.preprocess(image, mask, label, settings)
    n_voxels = int(sitk.GetArrayViewFromImage(roi).sum())
    reseg_range = ibsi.resegmentation_range(image, roi, settings)
    py_params = ibsi.pyradiomics_params(params, reseg_range)
    return _Prepared(image, roi, 1, py_params, ibsi.bin_origin({**py_params, "ibsi": settings}), n_voxels,
                     filters, reseg_range)


def _finish(features: dict, prepared: _Prepared, mode: str) -> dict:
    if mode != "ibsi":
        return features
    if prepared.filters:  # IBSI 2 response maps, pyradiomics on each (radiodeep.radiomics.filtered)
        from radiodeep.radiomics.filtered import filtered_features, resegmented_roi

        roi = resegmented_roi(prepared.image, prepared.mask, prepared.reseg_range)
        features = {**features, **filtered_features(prepared.image, roi, prepared.params, prepared.filters)}
    return ibsi.correct_features(features, prepared.n_voxels)


def execute(image: sitk.Image, mask: sitk.Image, params: dict, label: int = 1, mode: str = "pyradiomics") -> tuple[dict, dict]:
    """Run pyradiomics on in-memory images in this process; return (features, diagnostics).

    ``mode='pyradiomics'`` passes ``params`` to pyradiomics unchanged. ``mode='ibsi'`` first applies
    IBSI preprocessing (:mod:`radiodeep.radiomics.ibsi`), numbers fixed-size bins from the lower
    re-segmentation bound and reports excess kurtosis and N − 1 PCA axis lengths.
    """
    prepared = _prepare(image, mask, params, label, mode)
    with _pyradiomics_run(prepared.origin):
        result = extractor(prepared.params).execute(prepared.image, prepared.mask, label=prepared.label)
    features, diagnostics = _split_result(result)
    return _finish(features, prepared, mode), diagnostics


def extract_images(
    image: sitk.Image,
    mask: sitk.Image,
    params: dict,
    case_id: str | None = None,
    label: int = 1,
    mode: str = "pyradiomics",
    workers: int = 1,
    image_path: str | Path | None = None,
    mask_path: str | Path | None = None,
    predicted: bool = False,
) -> dict:
    """Check and extract one ROI of in-memory images (``image`` in its stored pixel type:
    pyradiomics resamples and filters in that type). See :func:`extract_case`."""
    roi = _check_inputs(image, mask, label, case_id, image_path, mask_path, predicted)
    try:
        prepared = _prepare(image, mask, params, label, mode)
        split = _execute_split(prepared, roi if mode == "pyradiomics" else None, workers) if workers > 1 else None
        if split is None:
            with _pyradiomics_run(prepared.origin):
                result = extractor(prepared.params).execute(prepared.image, prepared.mask, label=prepared.label)
            split = _split_result(result)
        features, diagnostics = split
        features = _finish(features, prepared, mode)
    except (ValueError, RuntimeError, IndexError) as exc:
        if any(t in str(exc) for t in _TOO_SMALL):
            raise NoRoi(case_id, mask_path, f"ROI too small for pyradiomics on this grid: {exc}") from exc
        raise CaseError(case_id, mask_path, f"pyradiomics failed: {exc}") from exc
    return {"features": features, "diagnostics": diagnostics}


def read_case(image_path: str | Path, mask_path: str | Path, case_id: str | None = None,
              check_gzip: bool = True) -> tuple[sitk.Image, sitk.Image]:
    """The image in its stored pixel type (an int16 CT stays integer, as pyradiomics reads it) and
    the mask as uint8. ``check_gzip=False`` for files radiodeep wrote itself (atomically)."""
    image = read_image(image_path, case_id, float32=False, check_gzip=check_gzip)
    return image, read_label_map(mask_path, case_id, check_gzip=check_gzip)


def extract_case(
    image_path: str | Path,
    mask_path: str | Path,
    params: dict,
    case_id: str | None = None,
    label: int | None = None,
    mode: str = "pyradiomics",
    workers: int = 1,
    check_gzip: bool = True,
) -> dict:
    """Run pyradiomics on one image/mask pair (one ROI label).

    Args:
        params: a pyradiomics parameter dictionary (see ``radiodeep.radiomics.load_preset``).
        label: ROI label value (default: ``params['setting']['label']`` or 1).
        mode: ``pyradiomics`` (values exactly pyradiomics') or ``ibsi`` (IBSI preprocessing first).
        workers: processes sharing this case's pieces (shape, original, LoG sigmas, wavelet
            sub-bands), packed into that many groups of about equal cost; with pyradiomics'
            ``preCrop`` the image is cropped once, here, before the groups' filters.

    Returns:
        ``{"features": {name: float}, "diagnostics": {name: value}}``; feature names keep
        pyradiomics' ``<imageType>_<featureClass>_<feature>`` form.
    """
    label = int(label if label is not None else params.get("setting", {}).get("label", 1))
    image, mask = read_case(image_path, mask_path, case_id, check_gzip)
    return extract_images(image, mask, params, case_id, label, mode, workers, image_path, mask_path)


def _labels_in(mask: sitk.Image, mask_path, case_id) -> list[int]:
    arr = sitk.GetArrayViewFromImage(mask)
    found = [int(v) for v in np.flatnonzero(np.bincount(arr.ravel(), minlength=256)) if v != 0]
    if not found:
        raise CaseError(case_id, mask_path, "mask is empty (no voxel > 0)")
    return found


def run_case(
    image_path: str | Path,
    mask_path: str | Path,
    out_json: str | Path,
    params: dict,
    case_id: str,
    on_error: str = "fail",
    mode: str = "pyradiomics",
    labels=None,
    workers: int = 1,
    check_gzip: bool = True,
    predicted: bool = False,
) -> dict:
    """Extract one case and write its JSON record; with ``on_error='skip'`` a failing case is
    written as ``status: skipped`` with the reason, so the cohort completes and QC lists it.
    A case without a usable ROI (:class:`NoRoi`: ``predicted`` masks that are empty, ROIs too small
    on the grid) is written as ``status: excluded`` with the reason whatever ``on_error`` says.

    Args:
        labels: ``None`` (the preset's ``label``), a list of label values, or ``'all'``; with
            several labels the record holds ``rois``: one entry (roi, features, diagnostics) each.
        check_gzip: check that ``.gz`` inputs are complete (not needed for radiodeep's own outputs).

    The record's ``provenance`` names the pyradiomics version, preset hash, mode and the SHA-256
    of the image and mask files.
    """
    import radiomics

    from radiodeep.io import sha256_file

    digest = preset_hash(params)
    record = {
        "case_id": case_id, "preset_hash": digest, "mode": mode,
        "provenance": {
            "pyradiomics_version": radiomics.__version__, "preset_hash": digest, "mode": mode,
            "image_sha256": sha256_file(image_path) if Path(image_path).exists() else None,
            "mask_sha256": sha256_file(mask_path) if Path(mask_path).exists() else None,
        },
    }
    try:
        image, mask = read_case(image_path, mask_path, case_id, check_gzip)
        if labels is None:
            label = int(params.get("setting", {}).get("label", 1))
            record.update(extract_images(image, mask, params, case_id, label, mode, workers, image_path, mask_path, predicted))
            record["roi"] = str(label)
        else:
            chosen = _labels_in(mask, mask_path, case_id) if labels == "all" else [int(v) for v in labels]
            record["rois"] = [
                {"roi": str(lab), **extract_images(image, mask, params, case_id, lab, mode, workers, image_path, mask_path, predicted)}
                for lab in chosen
            ]
            record.update({"features": {}, "diagnostics": {}})
        record["status"] = "ok"
    except CaseError as exc:
        if on_error != "skip" and not isinstance(exc, NoRoi):
            raise
        status = "excluded" if isinstance(exc, NoRoi) else "skipped"
        log.warning("%s: %s", status, exc)
        record.update({"status": status, "reason": str(exc), "features": {}, "diagnostics": {}})
        record.pop("rois", None)
    write_json(record, out_json)
    return record


def run_batch(
    cases: list[tuple[str, str | Path, str | Path, str | Path]],
    params: dict,
    on_error: str = "fail",
    mode: str = "pyradiomics",
    labels=None,
    workers: int = 1,
    check_gzip: bool = True,
    predicted: set[str] | None = None,
) -> list[dict]:
    """:func:`run_case` for each ``(case_id, image, mask, out_json)`` in one process, one
    pyradiomics extractor for all: each case's record is written (atomically) as soon as it is
    done. A failing case is skipped alone with ``on_error='skip'``; otherwise the batch stops
    at it with an error naming the case and the file. ``predicted``: the case ids whose masks come
    from the U-Net (an empty one is an expected outcome, recorded as excluded).

    SimpleITK filters use ``workers`` threads (its default, every core, costs more in thread
    start-up than it saves on small images, and jobs run side by side), as pyradiomics' batch CLI.
    """
    records = []
    with itk_threads(workers):
        for i, (case_id, image, mask, out_json) in enumerate(cases, start=1):
            try:
                records.append(run_case(image, mask, out_json, params, case_id, on_error, mode, labels, workers, check_gzip,
                                        case_id in (predicted or ())))
            except CaseError:
                raise
            except Exception as exc:  # not a known input problem: still say which case it was
                exc.add_note(f"while extracting case {case_id} (image {image}, mask {mask})")
                raise
            log.info("case %s: %s (%d of %d)", case_id, records[-1]["status"], i, len(cases))
    return records
