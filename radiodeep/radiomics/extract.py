"""pyradiomics feature extraction for one case.

pyradiomics computes every value; radiodeep only chooses the parameters, checks the inputs
and separates features from ``diagnostics_*`` entries.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.images import check_same_grid, read_image, read_label_map
from radiodeep.io import write_json
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


def extract_case(
    image_path: str | Path,
    mask_path: str | Path,
    params: dict,
    case_id: str | None = None,
    label: int | None = None,
) -> dict:
    """Run pyradiomics on one image/mask pair.

    Args:
        params: a pyradiomics parameter dictionary (see ``radiodeep.radiomics.load_preset``).
        label: ROI label value (default: ``params['setting']['label']`` or 1).

    Returns:
        ``{"features": {name: float}, "diagnostics": {name: value}}``; feature names keep
        pyradiomics' ``<imageType>_<featureClass>_<feature>`` form.
    """
    from radiomics.featureextractor import RadiomicsFeatureExtractor

    label = int(label if label is not None else params.get("setting", {}).get("label", 1))
    image = read_image(image_path, case_id)
    mask = read_label_map(mask_path, case_id)
    _check_inputs(image, mask, label, case_id, image_path, mask_path)
    extractor = RadiomicsFeatureExtractor(params)
    try:
        result = extractor.execute(image, mask, label=label)
    except (ValueError, RuntimeError, IndexError) as exc:
        raise CaseError(case_id, mask_path, f"pyradiomics failed: {exc}") from exc
    features, diagnostics = {}, {}
    for name, value in result.items():
        if name.startswith("diagnostics_"):
            diagnostics[name] = _to_python(value)
        else:
            v = float(np.asarray(value))
            features[name] = v if math.isfinite(v) else None
    return {"features": features, "diagnostics": diagnostics}


def run_case(
    image_path: str | Path,
    mask_path: str | Path,
    out_json: str | Path,
    params: dict,
    case_id: str,
    on_error: str = "fail",
) -> dict:
    """Extract one case and write its JSON record; with ``on_error='skip'`` a failing case is
    written as ``status: skipped`` with the reason, so the cohort completes and QC lists it.
    """
    record = {"case_id": case_id, "preset_hash": preset_hash(params)}
    try:
        record.update(extract_case(image_path, mask_path, params, case_id))
        record["status"] = "ok"
    except CaseError as exc:
        if on_error != "skip":
            raise
        log.warning("skipping %s", exc)
        record.update({"status": "skipped", "reason": str(exc), "features": {}, "diagnostics": {}})
    write_json(record, out_json)
    return record
