"""One case's pyradiomics extraction over several processes: the image cropped once to the
ROI's neighbourhood (as pyradiomics' preCrop), the pieces packed into groups
(:mod:`radiodeep.radiomics.split`), one forked worker per group but the first, which runs here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from radiodeep.radiomics.engine import (
    _narrowed,
    _Prepared,
    _pyradiomics_run,
    _split_result,
    _to_python,
    extractor,
)
from radiodeep.radiomics.split import Group, plan


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
