"""pyradiomics feature extraction for one case.

pyradiomics computes every value; radiodeep only chooses the parameters, checks the inputs
and separates features from ``diagnostics_*`` entries.
"""

from __future__ import annotations

import contextlib
import logging
import math
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.images import check_same_grid, read_image, read_label_map
from radiodeep.io import write_json
from radiodeep.radiomics import ibsi
from radiodeep.radiomics.presets import preset_hash

log = logging.getLogger(__name__)
logging.getLogger("radiomics").setLevel(logging.ERROR)


def _check_inputs(image: sitk.Image, mask: sitk.Image, label: int, case_id, image_path, mask_path) -> None:
    check_same_grid(image, mask, case_id, mask_path)
    labels = np.unique(sitk.GetArrayViewFromImage(mask))
    present = [int(v) for v in labels if v != 0]
    if not present:
        raise CaseError(case_id, mask_path, "mask is empty (no voxel > 0)")
    if label not in present:
        raise CaseError(case_id, mask_path, f"label {label} is absent from the mask; labels present: {present}")
    roi = sitk.GetArrayViewFromImage(mask) == label
    n = int(roi.sum())
    if n < 2:
        raise CaseError(case_id, mask_path, f"ROI (label {label}) has {n} voxel; texture features need at least 2")
    values = sitk.GetArrayViewFromImage(image)[roi]
    if not np.all(np.isfinite(values)):
        raise CaseError(case_id, image_path, f"{int(np.sum(~np.isfinite(values)))} NaN/inf voxels inside the ROI")


def _to_python(value):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (tuple, list, dict)):
        return str(value) if isinstance(value, dict) else [_to_python(v) for v in value]
    return value


def execute(image: sitk.Image, mask: sitk.Image, params: dict, label: int = 1, mode: str = "pyradiomics") -> tuple[dict, dict]:
    """Run pyradiomics on in-memory images; return (features, diagnostics).

    ``mode='pyradiomics'`` passes ``params`` to pyradiomics unchanged. ``mode='ibsi'`` first applies
    IBSI preprocessing (:mod:`radiodeep.radiomics.ibsi`), numbers fixed-size bins from the lower
    re-segmentation bound and reports excess kurtosis and N − 1 PCA axis lengths.
    """
    import radiomics
    from radiomics.featureextractor import RadiomicsFeatureExtractor

    # its import sets its logger to DEBUG: every debug call would build a record; warnings repeat per case
    radiomics.setVerbosity(logging.ERROR)
    radiomics.logger.setLevel(logging.ERROR)
    if mode not in ("pyradiomics", "ibsi"):
        raise ValueError(f"radiomics mode must be 'pyradiomics' or 'ibsi', not {mode!r}")
    origin, n_voxels = None, 0
    if mode == "ibsi":
        settings = ibsi.ibsi_settings(params)
        image, roi = ibsi.preprocess(image, mask, label, settings)
        mask, label = roi, 1
        n_voxels = int(sitk.GetArrayViewFromImage(roi).sum())
        params = ibsi.pyradiomics_params(params, ibsi.resegmentation_range(image, roi, settings))
        origin = ibsi.bin_origin({**params, "ibsi": settings})
    else:
        params = {k: v for k, v in params.items() if k != "ibsi"}
    with ibsi.bins_from(origin):
        result = RadiomicsFeatureExtractor(params).execute(image, mask, label=label)
    features, diagnostics = {}, {}
    for name, value in result.items():
        if name.startswith("diagnostics_"):
            diagnostics[name] = _to_python(value)
        else:
            v = float(np.asarray(value))
            features[name] = v if math.isfinite(v) else None
    if mode == "ibsi":
        features = ibsi.correct_features(features, n_voxels)
    return features, diagnostics


def split_by_image_type(params: dict, pieces: int = 1) -> list[dict]:
    """One parameter set per image type (and LoG sigma), shape only in the first: pieces of one
    case's extraction that can run in parallel and whose features together equal the whole.

    The wavelet image type (level 1: 7 detail sub-bands, then the approximation LLL) is further cut
    into ``pieces`` parts (key ``wavelet_subset``: the indices of the sub-bands a part computes):
    the approximation alone, as its many grey levels make it the slowest, and the details spread
    over the other parts.
    """
    image_types = params.get("imageType") or {"Original": {}}
    parts = []
    for name, args in image_types.items():
        sigmas = (args or {}).get("sigma") if name.lower() == "log" else None
        for sigma in sigmas or [None]:
            part_args = dict(args or {}, sigma=[sigma]) if sigma is not None else dict(args or {})
            part = {**params, "imageType": {name: part_args}}
            if name.lower() == "wavelet" and pieces > 1 and int((args or {}).get("level", 1)) == 1:
                subsets = [(7,)] + [tuple(range(k, 7, pieces - 1)) for k in range(pieces - 1)]
                parts += [{**part, "wavelet_subset": sub} for sub in subsets]
            else:
                parts.append(part)
    for i, part in enumerate(parts):
        classes = dict(part.get("featureClass") or {})
        if i > 0:
            classes = {k: v for k, v in classes.items() if k not in ("shape", "shape2D")}
        part["featureClass"] = classes
    return parts


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


def _cost(part: dict) -> float:
    """Rough cost of a part in LoG-image units, measured on a CT: the shape class doubles a part,
    the wavelet approximation costs ~4, the seven detail sub-bands ~4 together."""
    (name, _), = part["imageType"].items()
    cost = 2.0 if "shape" in (part.get("featureClass") or {}) else 1.0
    if name.lower() == "wavelet":
        subset = part.get("wavelet_subset", tuple(range(8)))
        cost = 4.0 * (7 in subset) + 4.0 / 7 * len([i for i in subset if i != 7])
    return cost


def _native(image_path: str | Path) -> sitk.Image:
    """The image in its stored pixel type: pyradiomics resamples in that type (an int16 CT stays
    integer), so the default mode must not cast it to float first."""
    return sitk.ReadImage(str(image_path))


# (image, mask) read once by the parent and inherited by forked workers, not read again per part.
_FORKED: tuple[sitk.Image, sitk.Image] | None = None


def _extract_part(params, label, mode):
    sitk.ProcessObject_SetGlobalDefaultNumberOfThreads(1)  # the parts are the parallelism (as pyradiomics' batch CLI)
    params = dict(params)
    subset = params.pop("wavelet_subset", None)
    with _wavelet_subset(subset):
        return execute(*_FORKED, params, label, mode)


def extract_case(
    image_path: str | Path,
    mask_path: str | Path,
    params: dict,
    case_id: str | None = None,
    label: int | None = None,
    mode: str = "pyradiomics",
    workers: int = 1,
) -> dict:
    """Run pyradiomics on one image/mask pair (one ROI label).

    Args:
        params: a pyradiomics parameter dictionary (see ``radiodeep.radiomics.load_preset``).
        label: ROI label value (default: ``params['setting']['label']`` or 1).
        mode: ``pyradiomics`` (values exactly pyradiomics') or ``ibsi`` (IBSI preprocessing first).
        workers: processes sharing this case's image types (LoG sigmas, wavelet, original).

    Returns:
        ``{"features": {name: float}, "diagnostics": {name: value}}``; feature names keep
        pyradiomics' ``<imageType>_<featureClass>_<feature>`` form.
    """
    label = int(label if label is not None else params.get("setting", {}).get("label", 1))
    image = read_image(image_path, case_id)
    mask = read_label_map(mask_path, case_id)
    _check_inputs(image, mask, label, case_id, image_path, mask_path)
    parts = split_by_image_type(params, workers) if workers > 1 else [params]
    features, diagnostics = {}, {}
    image = _native(image_path) if mode == "pyradiomics" else image
    try:
        if len(parts) == 1:
            features, diagnostics = execute(image, mask, params, label, mode)
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            global _FORKED
            _FORKED = (image, mask)
            # largest first (the wavelet approximation is the slowest part), so no worker idles at the end
            order = sorted(range(len(parts)), key=lambda i: -_cost(parts[i]))
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(min(workers, len(parts)), mp_context=context) as pool:
                futures = {i: pool.submit(_extract_part, parts[i], label, mode) for i in order}
                for fut in (futures[i] for i in range(len(parts))):
                    f, d = fut.result()
                    features.update(f)
                    diagnostics = diagnostics or d
            _FORKED = None
    except (ValueError, RuntimeError, IndexError) as exc:
        raise CaseError(case_id, mask_path, f"pyradiomics failed: {exc}") from exc
    return {"features": features, "diagnostics": diagnostics}


def roi_labels(mask_path: str | Path, labels, case_id: str | None = None) -> list[int]:
    """The ROI labels to extract: ``'all'`` (every non-zero label in the mask), or a list of ints."""
    if labels == "all":
        arr = sitk.GetArrayFromImage(read_label_map(mask_path, case_id))  # a copy: a view of a temporary dangles
        found = [int(v) for v in np.unique(arr) if v != 0]
        if not found:
            raise CaseError(case_id, mask_path, "mask is empty (no voxel > 0)")
        return found
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
) -> dict:
    """Extract one case and write its JSON record; with ``on_error='skip'`` a failing case is
    written as ``status: skipped`` with the reason, so the cohort completes and QC lists it.

    Args:
        labels: ``None`` (the preset's ``label``), a list of label values, or ``'all'``; with
            several labels the record holds ``rois``: one entry (roi, features, diagnostics) each.

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
        if labels is None:
            label = int(params.get("setting", {}).get("label", 1))
            record.update(extract_case(image_path, mask_path, params, case_id, label, mode, workers))
            record["roi"] = str(label)
        else:
            record["rois"] = [
                {"roi": str(lab), **extract_case(image_path, mask_path, params, case_id, lab, mode, workers)}
                for lab in roi_labels(mask_path, labels, case_id)
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
