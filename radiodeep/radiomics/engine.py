"""Running pyradiomics the way radiodeep does: one validated extractor per parameter set and
process, one BLAS thread, hashlib for the diagnostics' SHA-1, IBSI bin numbering and wavelet
sub-band subsets around a call, and pyradiomics' result split into features and diagnostics."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import math
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from radiodeep.radiomics import ibsi

logging.getLogger("radiomics").setLevel(logging.ERROR)


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
    filters: list | None = None  # ``ibsi`` mode: the preset's ``ibsi_filters`` entries
    reseg_range: list | None = None


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
