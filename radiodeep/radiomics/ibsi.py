"""IBSI-conformant preprocessing in front of pyradiomics (radiomics ``mode: ibsi``).

pyradiomics computes every feature value; this module only prepares the image and masks the way
the IBSI reference manual (chapter "Image processing", and "Reference data sets") prescribes,
where pyradiomics' own preprocessing differs (see pyradiomics' FAQ):

- resampling on a grid whose centre is the centre of the original grid, with
  ``n_new = ceil(n * s / s_new)`` voxels per axis and nearest-boundary extrapolation;
- the ROI mask interpolated linearly as a float and thresholded at a partial volume of 0.5;
- intensities rounded to the nearest integer after interpolation (CT, HU);
- re-segmentation: an intensity range, then mean ± k SD outlier filtering of what remains;
- fixed-bin-size bins counted from the lower re-segmentation bound (not from the ROI minimum);
- excess kurtosis (kurtosis − 3) and PCA axis lengths from the sample covariance (N − 1).

The settings live in the preset's ``ibsi`` section, beside pyradiomics' own sections, e.g.::

    ibsi:
      spacing: [2, 2, 2]          # mm; 0 keeps an axis (2D: [2, 2, 0]); null: no resampling
      interpolator: linear        # linear | bspline (image); the mask is always linear + threshold
      round_intensities: true     # CT: round to integers before and after interpolation
      mask_threshold: 0.5
      range: [-1000, 400]         # re-segmentation range (null: none)
      outlier_sd: 3               # mean ± 3 SD outlier filter after the range (null: none)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
import SimpleITK as sitk

IBSI_DEFAULTS = {
    "spacing": None,
    "interpolator": "linear",
    "round_intensities": False,
    "mask_threshold": 0.5,
    "range": None,
    "outlier_sd": None,
}
_INTERPOLATORS = {"linear": sitk.sitkLinear, "bspline": sitk.sitkBSpline}
_PCA_AXES = ("MajorAxisLength", "MinorAxisLength", "LeastAxisLength")
#: preset sections radiodeep reads and pyradiomics never sees (``ibsi_filters``: radiodeep.radiomics.filters)
RADIODEEP_SECTIONS = ("ibsi", "ibsi_filters")


def ibsi_settings(params: dict) -> dict:
    """The preset's ``ibsi`` section with defaults filled in.

    Without an explicit ``range``, pyradiomics' absolute ``resegmentRange`` setting is used.
    """
    section = params.get("ibsi") or {}
    unknown = set(section) - set(IBSI_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown ibsi settings {sorted(unknown)}; known: {sorted(IBSI_DEFAULTS)}")
    settings = {**IBSI_DEFAULTS, **section}
    setting = params.get("setting") or {}
    if "range" not in section and setting.get("resegmentMode", "absolute") == "absolute" and setting.get("resegmentRange"):
        settings["range"] = list(setting["resegmentRange"])
    return settings


def centred_grid(image: sitk.Image, spacing) -> tuple[list[int], list[float], list[float]]:
    """IBSI interpolation grid: (size, spacing, origin) centred on the original grid.

    An axis whose target spacing is 0 or None keeps its original sampling.

    Example:
        >>> img = sitk.Image([5, 4, 3], sitk.sitkFloat32); img.SetSpacing([1.0, 1.0, 3.0])
        >>> centred_grid(img, [2, 2, 0])[0]
        [3, 2, 3]
    """
    size, old_spacing = list(image.GetSize()), list(image.GetSpacing())
    new_size, new_spacing, shift = [], [], []
    for n, s, t in zip(size, old_spacing, spacing, strict=True):
        if not t:
            new_size.append(n)
            new_spacing.append(s)
            shift.append(0.0)
            continue
        m = int(math.ceil(n * s / t - 1e-9))
        new_size.append(m)
        new_spacing.append(float(t))
        shift.append(((n - 1) * s - (m - 1) * t) / 2.0)
    direction = np.asarray(image.GetDirection()).reshape(3, 3)
    origin = (np.asarray(image.GetOrigin()) + direction @ np.asarray(shift)).tolist()
    return new_size, new_spacing, origin


def _resample(image: sitk.Image, size, spacing, origin, interpolator) -> sitk.Image:
    f = sitk.ResampleImageFilter()
    f.SetSize([int(v) for v in size])
    f.SetOutputSpacing(spacing)
    f.SetOutputOrigin(origin)
    f.SetOutputDirection(image.GetDirection())
    f.SetInterpolator(interpolator)
    f.SetOutputPixelType(sitk.sitkFloat32)
    f.SetUseNearestNeighborExtrapolator(True)
    return f.Execute(image)


def preprocess(image: sitk.Image, mask: sitk.Image, label: int, settings: dict) -> tuple[sitk.Image, sitk.Image]:
    """Interpolate image and ROI (label ``label``) on the IBSI grid and round intensities.

    Returns:
        (float32 image, uint8 mask with the ROI as 1): the morphological mask, before re-segmentation.
    """
    image = sitk.Cast(image, sitk.sitkFloat32)
    roi = sitk.Cast(sitk.BinaryThreshold(mask, label, label, 1, 0), sitk.sitkFloat32)
    if settings["round_intensities"]:
        image = sitk.Round(image)
    if settings["spacing"]:
        size, spacing, origin = centred_grid(image, settings["spacing"])
        image = _resample(image, size, spacing, origin, _INTERPOLATORS[settings["interpolator"]])
        roi = _resample(roi, size, spacing, origin, sitk.sitkLinear)
        if settings["round_intensities"]:
            image = sitk.Round(image)
    out_mask = sitk.Cast(sitk.BinaryThreshold(roi, settings["mask_threshold"], 1e9, 1, 0), sitk.sitkUInt8)
    out_mask.CopyInformation(image)
    return image, out_mask


def resegmentation_range(image: sitk.Image, mask: sitk.Image, settings: dict) -> list[float] | None:
    """The closed intensity range equivalent to IBSI re-segmentation: the configured range, then
    mean ± ``outlier_sd`` SD (population SD) of the ROI voxels left inside that range."""
    lo, hi = (settings["range"] or [-math.inf, math.inf])
    if settings["outlier_sd"]:
        values = sitk.GetArrayViewFromImage(image)[sitk.GetArrayViewFromImage(mask) > 0]
        values = values[(values >= lo) & (values <= hi)].astype(np.float64)
        mean, sd = float(values.mean()), float(values.std())
        lo, hi = max(lo, mean - settings["outlier_sd"] * sd), min(hi, mean + settings["outlier_sd"] * sd)
    if math.isinf(lo) and math.isinf(hi):
        return None
    return [lo if not math.isinf(lo) else -3.0e38, hi if not math.isinf(hi) else 3.0e38]


def pyradiomics_params(params: dict, reseg_range: list[float] | None) -> dict:
    """pyradiomics parameters for an image already preprocessed the IBSI way: no resampling by
    pyradiomics, the absolute re-segmentation range, and the bin origin for fixed bin size."""
    out = {k: v for k, v in params.items() if k not in RADIODEEP_SECTIONS}
    setting = dict(out.get("setting") or {})
    for key in ("resampledPixelSpacing", "interpolator", "resegmentMode", "resegmentRange"):
        setting.pop(key, None)
    if reseg_range is not None:
        setting["resegmentRange"] = list(reseg_range)
    out["setting"] = setting
    return out


def bin_origin(params: dict) -> float | None:
    """IBSI's fixed-bin-size origin: the lower bound of the re-segmentation range, if any."""
    settings = ibsi_settings(params)
    fixed_size = "binCount" not in (params.get("setting") or {})
    if fixed_size and settings["range"] is not None:
        return float(settings["range"][0])
    return None


@contextlib.contextmanager
def bins_from(origin: float | None) -> Iterator[None]:
    """Within the block, pyradiomics' fixed-bin-size edges start at ``origin`` (IBSI) instead of
    the multiple of the bin width just below the ROI minimum. ``None`` changes nothing."""
    if origin is None:
        yield
        return
    from radiomics import imageoperations

    original = imageoperations.getBinEdges

    def edges(values, **kwargs):
        if kwargs.get("binCount") is not None:
            return original(values, **kwargs)
        width = kwargs.get("binWidth", 25)
        return np.arange(origin, float(np.max(values)) + 2 * width, width)

    imageoperations.getBinEdges = edges
    try:
        yield
    finally:
        imageoperations.getBinEdges = original


def correct_features(features: dict, n_voxels: int) -> dict:
    """IBSI definitions where pyradiomics' differ: excess kurtosis, and PCA axis lengths from the
    covariance with N − 1 (pyradiomics divides by N). ``n_voxels``: voxels of the morphological mask."""
    out = dict(features)
    scale = math.sqrt(n_voxels / (n_voxels - 1)) if n_voxels > 1 else 1.0
    for name, value in features.items():
        if value is None:
            continue
        if name.endswith("_firstorder_Kurtosis"):
            out[name] = value - 3.0
        elif name.split("_", 2)[-1] in _PCA_AXES and "_shape_" in name:
            out[name] = value * scale
    return out
