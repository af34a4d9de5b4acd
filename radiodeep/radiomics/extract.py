"""pyradiomics feature extraction for one case, or a batch of cases in one process.

pyradiomics computes every value; radiodeep only chooses the parameters, checks the inputs,
separates features from ``diagnostics_*`` entries and, with ``workers > 1``, spreads one case's
images (original, LoG sigmas, wavelet sub-bands) over processes (:mod:`radiodeep.radiomics.split`).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.images import check_same_grid, read_image, read_label_map
from radiodeep.io import write_json
from radiodeep.radiomics import ibsi
from radiodeep.radiomics.presets import preset_hash
from radiodeep.radiomics.split import Group, plan

log = logging.getLogger(__name__)
logging.getLogger("radiomics").setLevel(logging.ERROR)

_MODES = ("pyradiomics", "ibsi")
_EXTRACTORS: dict[str, object] = {}
_BLAS = []  # threadpoolctl's controller of the BLAS numpy loaded (found once: ~0.5 ms)


def _one_blas_thread():
    """One BLAS thread for pyradiomics' linear algebra (GLCM MCC eigenvalues): its last bit
    depends on the thread count, so radiodeep's values do not depend on ``workers`` or the
    machine; and BLAS threads spinning beside other processes slow it down several times."""
    if not _BLAS:
        from threadpoolctl import ThreadpoolController

        _BLAS.append(ThreadpoolController())
    return _BLAS[0].limit(limits=1, user_api="blas")


def extractor(params: dict):
    """A pyradiomics ``RadiomicsFeatureExtractor`` for ``params``, built (and its parameters
    validated, ~20 ms) once per process and parameter set, then reused case after case."""
    key = json.dumps(params, default=str)  # in order: pyradiomics extracts (and reports) image types in it
    ext = _EXTRACTORS.get(key)
    if ext is None:
        import radiomics
        from radiomics.featureextractor import RadiomicsFeatureExtractor

        # its import sets its logger to DEBUG: every debug call would build a record; warnings repeat per case
        radiomics.setVerbosity(logging.ERROR)
        radiomics.logger.setLevel(logging.ERROR)
        logging.getLogger("pykwalify").setLevel(logging.WARNING)  # "validation.valid" per parameter set
        if len(_EXTRACTORS) >= 32:  # IBSI mode may give each case its own re-segmentation range
            _EXTRACTORS.clear()
        ext = _EXTRACTORS[key] = RadiomicsFeatureExtractor(copy.deepcopy(params))  # its order: pyradiomics'
    return ext


def _narrowed(full, params: dict):
    """``full`` (the whole case's validated extractor) restricted to a group's image types and
    feature classes, set as pyradiomics' own ``_applyParams`` sets them from ``params``: the same
    extractor as ``extractor(params)`` without validating the parameters again (~60 ms a group)."""
    key = "group:" + json.dumps(params, default=str)
    ext = _EXTRACTORS.get(key)
    if ext is None:
        ext = copy.copy(full)
        ext.settings = dict(full.settings)
        ext.enabledImagetypes = copy.deepcopy(params.get("imageType")) or {"Original": {}}
        ext.enabledFeatures = copy.deepcopy(params.get("featureClass")) or {c: [] for c in full.featureClassNames}
        _EXTRACTORS[key] = ext
    return ext


def _check_inputs(image: sitk.Image, mask: sitk.Image, label: int, case_id, image_path, mask_path) -> np.ndarray:
    """Raise CaseError for a mask that does not fit the image or has no usable ROI; return the ROI (z, y, x)."""
    check_same_grid(image, mask, case_id, mask_path)
    arr = sitk.GetArrayViewFromImage(mask)
    roi = arr == label
    n = int(np.count_nonzero(roi))
    if n == 0:
        present = [int(v) for v in np.unique(arr) if v != 0]
        if not present:
            raise CaseError(case_id, mask_path, "mask is empty (no voxel > 0)")
        raise CaseError(case_id, mask_path, f"label {label} is absent from the mask; labels present: {present}")
    if n < 2:
        raise CaseError(case_id, mask_path, f"ROI (label {label}) has {n} voxel; texture features need at least 2")
    values = sitk.GetArrayViewFromImage(image)[roi]
    if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
        raise CaseError(case_id, image_path, f"{int(np.sum(~np.isfinite(values)))} NaN/inf voxels inside the ROI")
    return roi


def _to_python(value):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (tuple, list, dict)):
        return str(value) if isinstance(value, dict) else [_to_python(v) for v in value]
    return value


def _split_result(result: dict) -> tuple[dict, dict]:
    features, diagnostics = {}, {}
    for name, value in result.items():
        if name.startswith("diagnostics_"):
            diagnostics[name] = _to_python(value)
        else:
            v = float(np.asarray(value))
            features[name] = v if math.isfinite(v) else None
    return features, diagnostics


@dataclass
class _Prepared:
    """What pyradiomics receives: the image and mask (IBSI-preprocessed in ``ibsi`` mode), its
    parameters, and what ``ibsi`` mode needs afterwards."""

    image: sitk.Image
    mask: sitk.Image
    label: int
    params: dict
    origin: float | None = None
    n_voxels: int = 0


def _prepare(image: sitk.Image, mask: sitk.Image, params: dict, label: int, mode: str) -> _Prepared:
    if mode not in _MODES:
        raise ValueError(f"radiomics mode must be 'pyradiomics' or 'ibsi', not {mode!r}")
    if mode == "pyradiomics":
        return _Prepared(image, mask, label, {k: v for k, v in params.items() if k != "ibsi"})
    settings = ibsi.ibsi_settings(params)
    image, roi = ibsi.preprocess(image, mask, label, settings)
    n_voxels = int(sitk.GetArrayViewFromImage(roi).sum())
    py_params = ibsi.pyradiomics_params(params, ibsi.resegmentation_range(image, roi, settings))
    return _Prepared(image, roi, 1, py_params, ibsi.bin_origin({**py_params, "ibsi": settings}), n_voxels)


def _finish(features: dict, prepared: _Prepared, mode: str) -> dict:
    return ibsi.correct_features(features, prepared.n_voxels) if mode == "ibsi" else features


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


@contextlib.contextmanager
def _wavelet_subset(subset: tuple[int, ...] | None):
    """Within the block, pyradiomics' wavelet generator yields only the sub-bands at these indices."""
    if subset is None:
        yield
        return
    from radiomics import imageoperations

    original = imageoperations.getWaveletImage

    def subset_of(*args, **kwargs):
        for i, item in enumerate(original(*args, **kwargs)):
            if i in subset:
                yield item

    imageoperations.getWaveletImage = subset_of
    try:
        yield
    finally:
        imageoperations.getWaveletImage = original


class _SitkHashlibSha1:
    """SimpleITK as pyradiomics' diagnostics module sees it, except ``Hash``: the same SHA-1 of
    the pixel buffer (hex), computed by hashlib, ~10 times faster (0.4 s -> 0.03 s for the UInt32
    mask of a 512 x 512 x 61 CT; 15% of a small PET case's extraction)."""

    def __getattr__(self, name):
        return getattr(sitk, name)

    @staticmethod
    def Hash(image, function=sitk.HashImageFilter.SHA1):  # noqa: N802 (SimpleITK's name)
        if function != sitk.HashImageFilter.SHA1:
            return sitk.Hash(image, function)
        return hashlib.sha1(np.ascontiguousarray(sitk.GetArrayViewFromImage(image))).hexdigest()


@contextlib.contextmanager
def _pyradiomics_run(origin: float | None = None, bands: tuple[int, ...] | None = None):
    """Around a pyradiomics call: IBSI bin origin, wavelet sub-bands, one BLAS thread, hashlib
    for the diagnostics' SHA-1."""
    from radiomics import generalinfo

    original = generalinfo.sitk
    generalinfo.sitk = _SitkHashlibSha1()
    try:
        with ibsi.bins_from(origin), _wavelet_subset(bands), _one_blas_thread():
            yield
    finally:
        generalinfo.sitk = original


# ---------------------------------------------------------------- one case over several processes


def can_precrop(settings: dict) -> bool:
    """Whether pyradiomics would crop the image to the ROI (plus ``padDistance``) before any
    filter: ``preCrop`` on, and no resampling or normalisation, which use the whole image."""
    return bool(settings.get("preCrop")) and not settings.get("normalize") and settings.get("resampledPixelSpacing") is None


def _same_geometry(a: sitk.Image, b: sitk.Image) -> bool:
    return (a.GetSize() == b.GetSize() and a.GetOrigin() == b.GetOrigin() and a.GetSpacing() == b.GetSpacing()
            and a.GetDirection() == b.GetDirection())


def precrop(image: sitk.Image, mask: sitk.Image, settings: dict, roi: np.ndarray | None = None) -> tuple[sitk.Image, sitk.Image]:
    """What pyradiomics' ``loadImage`` does with ``preCrop``: the ROI's bounding box (``checkMask``),
    then ``cropToTumorMask`` with ``padDistance``. pyradiomics' own preCrop of the result crops
    nothing more, so its features on the result equal those on the full image.

    On one grid (the usual case) the bounding box comes from ``roi`` (the label's voxels, z, y, x)
    instead of SimpleITK's label statistics over the whole volume (0.4 s on a 512 x 512 x 61 CT).
    """
    from radiomics import imageoperations

    if roi is not None and _same_geometry(image, mask):
        axes = [np.flatnonzero(roi.any(axis=tuple(a for a in range(3) if a != ax))) for ax in (2, 1, 0)]
        box = np.array([v for idx in axes for v in (idx[0], idx[-1])])
    else:
        mask = imageoperations.getMask(mask, **settings)
        box, corrected = imageoperations.checkMask(image, mask, **settings)
        if corrected is not None:
            mask = corrected
        if box is None:
            raise ValueError("Mask checks failed during pre-crop")
    return imageoperations.cropToTumorMask(image, mask, box, **settings)


@dataclass
class _Job:
    """A split case, set in the parent before the workers fork (they inherit it, nothing is pickled)."""

    image: sitk.Image  # the full image and mask pyradiomics receives
    mask: sitk.Image
    cropped: tuple[sitk.Image, sitk.Image] | None
    label: int
    groups: list[Group]
    origin: float | None
    full: object = None  # the whole case's pyradiomics extractor (groups narrow a copy of it)


_JOB: _Job | None = None


def _single_threaded() -> None:
    """The groups are the parallelism: one SimpleITK thread per process (BLAS: one in every
    pyradiomics call, :func:`_one_blas_thread`)."""
    sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(1)


def _run_group(index: int) -> tuple[dict, dict]:
    """One group: its pyradiomics result, and the full image's diagnostics halves it was given."""
    from radiomics import generalinfo

    job = _JOB
    group = job.groups[index]
    info = {}
    if group.diagnostics:  # as pyradiomics' loadImage, on the image and mask as loaded (before the crop)
        with _pyradiomics_run():
            general = generalinfo.GeneralInfo()
            if "diag_image" in group.diagnostics:
                general.addImageElements(job.image)
            if "diag_mask" in group.diagnostics:
                general.addMaskElements(None, sitk.Cast(job.mask, sitk.sitkUInt32), job.label)
        info = {k: v for k, v in general.getGeneralInfo().items() if "-original_" in k}
    result = {}
    if group.params is not None:
        image, mask = job.cropped or (job.image, job.mask)
        with _pyradiomics_run(job.origin, group.bands):
            result = dict(_narrowed(job.full, group.params).execute(image, mask, label=job.label))
    return result, info


def _execute_split(prepared: _Prepared, roi: np.ndarray | None, workers: int) -> tuple[dict, dict] | None:
    """Features and diagnostics of ``prepared`` with its pieces in ``workers`` processes (this
    one included), or ``None`` when the case has a single piece."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _JOB
    full = extractor(prepared.params)
    settings = {**full.settings, "label": prepared.label}
    cropped = precrop(prepared.image, prepared.mask, settings, roi) if can_precrop(settings) else None
    image = prepared.image
    box = cropped[0].GetNumberOfPixels() if cropped else image.GetNumberOfPixels()
    # cropped groups describe the crop: the full image's diagnostics are two more pieces of work
    diagnostics = cropped is not None and bool(settings.get("additionalInfo", True))
    groups = plan(prepared.params, workers, box, image.GetNumberOfPixels(),
                  image.GetNumberOfPixels() * image.GetSizeOfPixelComponent(), diagnostics)
    if len(groups) < 2:
        return None
    _JOB = _Job(image, prepared.mask, cropped, prepared.label, groups, prepared.origin, full)
    threads = sitk.ProcessObject_GetGlobalDefaultNumberOfThreads()
    try:
        sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(1)
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(len(groups) - 1, mp_context=context, initializer=_single_threaded) as pool:
            futures = [pool.submit(_run_group, i) for i in range(1, len(groups))]
            outputs = [_run_group(0)] + [f.result() for f in futures]
    finally:
        _JOB = None
        sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(threads)
    merged, original = {}, {}
    for result, info in outputs:
        for name, value in result.items():
            if not name.startswith("diagnostics_") or name not in merged:
                merged[name] = value
        original.update(info)
    features, diag = _split_result(merged)
    if diag:  # as one pyradiomics call on the whole case would report them
        diag.update({k: _to_python(v) for k, v in original.items()})
        diag["diagnostics_Configuration_EnabledImageTypes"] = _to_python(full.enabledImagetypes)
    return features, diag


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
) -> dict:
    """Check and extract one ROI of in-memory images (``image`` in its stored pixel type:
    pyradiomics resamples and filters in that type). See :func:`extract_case`."""
    roi = _check_inputs(image, mask, label, case_id, image_path, mask_path)
    try:
        prepared = _prepare(image, mask, params, label, mode)
        split = _execute_split(prepared, roi if mode == "pyradiomics" else None, workers) if workers > 1 else None
        if split is None:
            with _pyradiomics_run(prepared.origin):
                result = extractor(prepared.params).execute(prepared.image, prepared.mask, label=prepared.label)
            split = _split_result(result)
    except (ValueError, RuntimeError, IndexError) as exc:
        raise CaseError(case_id, mask_path, f"pyradiomics failed: {exc}") from exc
    features, diagnostics = split
    return {"features": _finish(features, prepared, mode), "diagnostics": diagnostics}


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


def roi_labels(mask_path: str | Path, labels, case_id: str | None = None) -> list[int]:
    """The ROI labels to extract: ``'all'`` (every non-zero label in the mask), or a list of ints."""
    if labels == "all":
        return _labels_in(read_label_map(mask_path, case_id), mask_path, case_id)
    return [int(v) for v in labels]


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
) -> dict:
    """Extract one case and write its JSON record; with ``on_error='skip'`` a failing case is
    written as ``status: skipped`` with the reason, so the cohort completes and QC lists it.

    Args:
        labels: ``None`` (the preset's ``label``), a list of label values, or ``'all'``; with
            several labels the record holds ``rois``: one entry (roi, features, diagnostics) each.
        check_gzip: check that ``.gz`` inputs are complete (not needed for radiodeep's own outputs).

    The record's ``provenance`` names the pyradiomics version, preset hash, mode and the SHA-256
    of the image and mask files.
    """
    import radiomics

    from radiodeep.io import sha256_file

    record = {
        "case_id": case_id, "preset_hash": preset_hash(params), "mode": mode,
        "provenance": {
            "pyradiomics_version": radiomics.__version__, "preset_hash": preset_hash(params), "mode": mode,
            "image_sha256": sha256_file(image_path) if Path(image_path).exists() else None,
            "mask_sha256": sha256_file(mask_path) if Path(mask_path).exists() else None,
        },
    }
    try:
        image, mask = read_case(image_path, mask_path, case_id, check_gzip)
        if labels is None:
            label = int(params.get("setting", {}).get("label", 1))
            record.update(extract_images(image, mask, params, case_id, label, mode, workers, image_path, mask_path))
            record["roi"] = str(label)
        else:
            chosen = _labels_in(mask, mask_path, case_id) if labels == "all" else [int(v) for v in labels]
            record["rois"] = [
                {"roi": str(lab), **extract_images(image, mask, params, case_id, lab, mode, workers, image_path, mask_path)}
                for lab in chosen
            ]
            record.update({"features": {}, "diagnostics": {}})
        record["status"] = "ok"
    except CaseError as exc:
        if on_error != "skip":
            raise
        log.warning("skipping %s", exc)
        record.update({"status": "skipped", "reason": str(exc), "features": {}, "diagnostics": {}})
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
) -> list[dict]:
    """:func:`run_case` for each ``(case_id, image, mask, out_json)`` in one process, one
    pyradiomics extractor for all: each case's record is written (atomically) as soon as it is
    done. A failing case is skipped alone with ``on_error='skip'``; otherwise the batch stops
    at it with an error naming the case and the file.

    SimpleITK filters use ``workers`` threads (its default, every core, costs more in thread
    start-up than it saves on small images, and jobs run side by side), as pyradiomics' batch CLI.
    """
    records = []
    threads = sitk.ProcessObject_GetGlobalDefaultNumberOfThreads()
    sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(max(1, workers))
    try:
        for i, (case_id, image, mask, out_json) in enumerate(cases, start=1):
            try:
                records.append(run_case(image, mask, out_json, params, case_id, on_error, mode, labels, workers, check_gzip))
            except CaseError:
                raise
            except Exception as exc:  # not a known input problem: still say which case it was
                exc.add_note(f"while extracting case {case_id} (image {image}, mask {mask})")
                raise
            log.info("case %s: %s (%d of %d)", case_id, records[-1]["status"], i, len(cases))
    finally:
        sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(threads)
    return records
