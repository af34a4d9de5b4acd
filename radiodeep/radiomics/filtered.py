"""Filtered images for pyradiomics (``mode: ibsi`` with an ``ibsi_filters`` list in the preset).

radiodeep computes each IBSI 2 response map (:mod:`radiodeep.radiomics.filters`) and hands it to
pyradiomics as an ``Original`` image with the re-segmented ROI; pyradiomics computes the
features; the names get the filter as their first part
(``ibsi-laws-L5E5E5-energy7-invariant_firstorder_Mean``).

Only the ROI's neighbourhood is filtered: the image is cropped to the ROI's bounding box plus
the filter's reach (clipped at the image border, where the boundary condition then applies), so
every ROI voxel gets exactly the value that filtering the whole image gives. Simoncelli (a
global Fourier filter) gets the whole image.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from radiodeep.radiomics.filters import apply_filter, filter_name, filter_radius


def roi_box(roi: np.ndarray, margin: int | None) -> tuple[slice, ...]:
    """(z, y, x) slices of the ROI's bounding box grown by ``margin`` voxels (None: everything)."""
    if margin is None:
        return tuple(slice(None) for _ in roi.shape)
    index = np.argwhere(roi)
    lo, hi = index.min(axis=0), index.max(axis=0) + 1
    return tuple(slice(max(0, int(a) - margin), min(n, int(b) + margin)) for a, b, n in zip(lo, hi, roi.shape, strict=True))


def _as_image(array: np.ndarray, roi: sitk.Image, box: tuple[slice, ...]) -> tuple[sitk.Image, sitk.Image]:
    """``array`` (the values inside ``box`` of ``roi``'s grid) and the ROI, both cropped to ``box``."""
    start = [int(s.start or 0) for s in reversed(box)]
    sub_roi = sitk.RegionOfInterest(roi, [int(n) for n in reversed(array.shape)], start)
    image = sitk.GetImageFromArray(array)
    image.CopyInformation(sub_roi)
    return image, sub_roi


def cropped(image: sitk.Image, roi: sitk.Image) -> tuple[sitk.Image, sitk.Image]:
    """Image and ROI cropped to the ROI's bounding box (what pyradiomics looks at, without its
    passes over the whole image)."""
    box = roi_box(sitk.GetArrayViewFromImage(roi) > 0, 0)
    return _as_image(sitk.GetArrayFromImage(image)[box], roi, box)


def filtered_image(image: sitk.Image, roi: sitk.Image, entry: dict) -> tuple[sitk.Image, sitk.Image]:
    """(response map, ROI) on the ROI's bounding box, as SimpleITK images in physical space."""
    spacing = tuple(reversed(image.GetSpacing()))
    mask = sitk.GetArrayViewFromImage(roi) > 0
    outer = roi_box(mask, filter_radius(spacing, entry))
    inner = roi_box(mask[outer], 0)
    response = apply_filter(sitk.GetArrayFromImage(image)[outer].astype(np.float64), spacing, entry, inner)
    box = tuple(slice((o.start or 0) + i.start, (o.start or 0) + i.stop) for o, i in zip(outer, inner, strict=True))
    return _as_image(response[inner], roi, box)


def filtered_params(params: dict) -> dict:
    """pyradiomics parameters for a response map: the ``Original`` image type only, no shape
    (it does not depend on intensities), no re-segmentation (the ROI comes re-segmented)."""
    setting = {k: v for k, v in (params.get("setting") or {}).items()
               if k not in ("resegmentRange", "resegmentMode", "resampledPixelSpacing", "interpolator")}
    classes = {k: v for k, v in (params.get("featureClass") or {}).items() if not k.startswith("shape")}
    return {"imageType": {"Original": {}}, "featureClass": classes or {"firstorder": None}, "setting": setting}


def resegmented_roi(image: sitk.Image, roi: sitk.Image, reseg_range) -> sitk.Image:
    """The ROI without the voxels outside the closed re-segmentation range (None: unchanged)."""
    if reseg_range is None:
        return roi
    values = sitk.GetArrayViewFromImage(image)
    keep = (sitk.GetArrayViewFromImage(roi) > 0) & (values >= reseg_range[0]) & (values <= reseg_range[1])
    out = sitk.GetImageFromArray(keep.astype(np.uint8))
    out.CopyInformation(roi)
    return out


def image_features(image: sitk.Image, roi: sitk.Image, params: dict, name: str = "original") -> dict:
    """pyradiomics' features of ``image`` (an ``Original`` image to it) over ``roi`` (1 inside),
    named ``<name>_<featureClass>_<feature>``."""
    from radiodeep.radiomics.engine import _pyradiomics_run, _split_result, extractor

    py_params = filtered_params(params)
    py_params["setting"]["label"] = 1
    with _pyradiomics_run():
        features, _ = _split_result(extractor(py_params).execute(image, roi, label=1))
    return {name + key[len("original"):]: v for key, v in features.items() if key.startswith("original_")}


def filtered_features(image: sitk.Image, roi: sitk.Image, params: dict, entries: list[dict]) -> dict:
    """pyradiomics' features of each ``ibsi_filters`` entry's response map, named
    ``<filter name>_<featureClass>_<feature>``. ``roi``: the re-segmented ROI (1 inside)."""
    out: dict[str, float | None] = {}
    for entry in entries:
        out.update(image_features(*filtered_image(image, roi, entry), params, filter_name(entry)))
    return out
