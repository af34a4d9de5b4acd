"""IBSI compliance check: features of the IBSI 1 phantoms against the published reference values.

The data folder is laid out like ``shared/data/ibsi`` (the repository keeps a copy in
``tests/data/ibsi``): ``digital_phantom/nifti/{image,mask}/*.nii.gz``,
``ct_phantom/nifti/{image,mask}/*.nii.gz``, ``reference_values/ibsi_1_reference_values_*.csv`` and
``pyradiomics_mapping/mapping_{phantom,case1..5}.csv`` (IBSI tag -> pyradiomics feature name, from
the pyradiomics IBSI benchmark). A mapped name's prefix says how pyradiomics was run: ``2D_`` with
``force2D``, ``3D_`` without, ``*_Combined_`` with ``weightingNorm: no_weighting`` (matrices of all
directions merged, IBSI's "comb" aggregation).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from radiodeep.images import read_image, read_label_map
from radiodeep.radiomics.extract import execute
from radiodeep.radiomics.presets import load_preset

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "ibsi"
CONFIGS = ("A", "B", "C", "D", "E")


def _paths(data: Path, phantom: str, config: str | None) -> tuple[Path, Path, Path, Path, str]:
    if phantom == "digital":
        folder, mapping, reference, preset = "digital_phantom", "mapping_phantom.csv", "digital_phantom", "IBSI_phantom"
    elif phantom == "ct":
        if config not in CONFIGS:
            raise ValueError(f"--config must be one of {', '.join(CONFIGS)} for the CT phantom, not {config!r}")
        folder, mapping = "ct_phantom", f"mapping_case{CONFIGS.index(config) + 1}.csv"
        reference, preset = f"config_{config}", f"IBSI_{config}"
    else:
        raise ValueError(f"phantom must be 'digital' or 'ct', not {phantom!r}")
    image = next((data / folder / "nifti" / "image").glob("*.nii*"))
    mask = next((data / folder / "nifti" / "mask").glob("*.nii*"))
    return (image, mask, data / "pyradiomics_mapping" / mapping,
            data / "reference_values" / f"ibsi_1_reference_values_{reference}.csv", preset)


def _run_params(params: dict, prefix: str) -> dict:
    dims, _, combined = prefix.partition("_")
    setting = {**params["setting"], "force2D": dims == "2D"}
    out = {**params, "setting": setting}
    if combined:
        setting["weightingNorm"] = "no_weighting"
        out["featureClass"] = {"glcm": None, "glrlm": None}
    return out


def within(value: float | None, reference: float, tolerance: float) -> bool:
    """IBSI's test: ``|value - reference| <= tolerance``; a tolerance of 0 (digital phantom) means
    equal to the reference's 3 significant figures.

    Example:
        >>> within(2.148649, 2.15, 0.0), within(9.2449, 9.31, 0.06)
        (True, False)
    """
    if value is None or value != value:
        return False
    if tolerance == 0:
        return float(f"{value:.3g}") == float(f"{reference:.3g}")
    return abs(value - reference) <= tolerance + 1e-9 * abs(reference)


def check(phantom: str, config: str | None = None, data: str | Path | None = None, mode: str = "ibsi") -> pd.DataFrame:
    """Compute the mapped features and compare them with the IBSI reference values.

    Args:
        phantom: ``digital`` or ``ct``.
        config: ``A``..``E`` for the CT phantom.
        data: folder laid out like ``shared/data/ibsi`` (default: the repository's copy).
        mode: ``ibsi`` (radiodeep's IBSI preprocessing) or ``pyradiomics`` (stock pyradiomics with
            the configuration's settings, its own resampling and re-segmentation).

    Returns:
        One row per mapped feature tag: tag, feature, reference, tolerance, value, within_tolerance.
        Diagnostic tags (image/mask sizes after each step) are not features and are left out.
    """
    data = Path(data) if data else DEFAULT_DATA
    image_path, mask_path, mapping_path, reference_path, preset = _paths(data, phantom, config)
    mapping = pd.read_csv(mapping_path)
    mapping = mapping[~mapping["pyradiomics_feature"].str.contains("diagnostics")]
    reference = pd.read_csv(reference_path, encoding="utf-8-sig")[["tag", "reference value", "tolerance"]]
    table = mapping.merge(reference, on="tag", how="inner").dropna(subset=["reference value"])
    params = load_preset(preset)
    image, mask = read_image(image_path), read_label_map(mask_path)
    values: dict[str, float | None] = {}
    for prefix in sorted({name.split("_original_")[0] for name in table["pyradiomics_feature"]}):
        features, _ = execute(image, mask, _run_params(params, prefix), 1, mode)
        values.update({f"{prefix}_{k}": v for k, v in features.items()})
    table = table.rename(columns={"pyradiomics_feature": "feature", "reference value": "reference"})
    table["value"] = table["feature"].map(values)
    table["within_tolerance"] = [within(v, r, t) for v, r, t in zip(table["value"], table["reference"], table["tolerance"], strict=True)]
    return table[["tag", "feature", "reference", "tolerance", "value", "within_tolerance"]].reset_index(drop=True)
