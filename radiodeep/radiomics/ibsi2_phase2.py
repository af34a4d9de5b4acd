"""IBSI 2 phase 2: intensity statistics of filtered images of the IBSI CT phantom against the
consensus values (``phase2_reference_values.csv``: filter_id;feature;feature_tag;consensus_value;tolerance).

Configuration A: no resampling, filters per axial slice; B: cubic-spline resampling to 1 mm on
IBSI's centred grid, 3D filters. Both: intensities rounded, re-segmentation [-1000, 400] HU, IBSI
mirror boundaries. pyradiomics computes the statistics on radiodeep's response maps
(:mod:`radiodeep.radiomics.filtered`); three IBSI statistics pyradiomics lacks (median absolute
deviation, coefficient of variation, quartile coefficient of dispersion) are computed beside
it from the same ROI voxels, and kurtosis is reported as excess kurtosis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

from radiodeep.radiomics import ibsi
from radiodeep.radiomics.compliance import within
from radiodeep.radiomics.filtered import cropped, filtered_image, image_features, resegmented_roi

RANGE = [-1000.0, 400.0]
PREPROCESS = {
    "A": {**ibsi.IBSI_DEFAULTS, "round_intensities": True, "range": RANGE},
    "B": {**ibsi.IBSI_DEFAULTS, "spacing": [1.0, 1.0, 1.0], "interpolator": "bspline", "round_intensities": True,
          "range": RANGE},
}
_GABOR = {"filter": "gabor", "sigma": 5.0, "lambda": 2.0, "gamma": 1.5, "theta_step": 22.5}
#: configuration number -> (entry for A, entry for B); None: the image unfiltered
FILTERS: dict[int, tuple[dict | None, dict | None]] = {
    1: (None, None),
    2: ({"filter": "mean", "support": 5, "dims": 2}, {"filter": "mean", "support": 5}),
    3: ({"filter": "log", "sigma": 1.5, "truncate": 4.0, "dims": 2}, {"filter": "log", "sigma": 1.5, "truncate": 4.0}),
    4: ({"filter": "laws", "kernel": "L5E5", "delta": 7}, {"filter": "laws", "kernel": "L5E5E5", "delta": 7}),
    5: ({**_GABOR, "dims": 2}, _GABOR),
    6: ({"filter": "wavelet", "wavelet": "db3", "subband": "LH"}, {"filter": "wavelet", "wavelet": "db3", "subband": "LLH"}),
    7: ({"filter": "wavelet", "wavelet": "db3", "subband": "HH", "level": 2},
        {"filter": "wavelet", "wavelet": "db3", "subband": "HHH", "level": 2}),
    8: ({"filter": "simoncelli", "level": 1, "dims": 2}, {"filter": "simoncelli", "level": 1}),
    9: ({"filter": "simoncelli", "level": 2, "dims": 2}, {"filter": "simoncelli", "level": 2}),
}
#: IBSI tag -> pyradiomics firstorder feature
PYRADIOMICS_STATS = {
    "stat_mean": "Mean", "stat_var": "Variance", "stat_skew": "Skewness", "stat_kurt": "Kurtosis",
    "stat_median": "Median", "stat_min": "Minimum", "stat_p10": "10Percentile", "stat_p90": "90Percentile",
    "stat_max": "Maximum", "stat_iqr": "InterquartileRange", "stat_range": "Range", "stat_mad": "MeanAbsoluteDeviation",
    "stat_rmad": "RobustMeanAbsoluteDeviation", "stat_energy": "Energy", "stat_rms": "RootMeanSquared",
}
STATS_PARAMS = {"featureClass": {"firstorder": sorted(PYRADIOMICS_STATS.values())}, "setting": {"voxelArrayShift": 0}}


def _path(data: Path, *parts: str) -> Path:
    found = sorted((data.joinpath(*parts)).glob("*.nii*"))
    if not found:
        raise FileNotFoundError(f"no NIfTI file under {data.joinpath(*parts)} (give --data: a folder laid out like shared/data)")
    return found[0]


def phantom(data: str | Path, config: str) -> tuple[sitk.Image, sitk.Image, sitk.Image]:
    """The CT phantom preprocessed for configuration ``A`` or ``B``: (image, ROI, re-segmented ROI).
    ``data``: a folder holding ``ibsi/ct_phantom/nifti/{image,mask}`` (like shared/data)."""
    from radiodeep.images import read_image, read_label_map

    data = Path(data)
    image = read_image(_path(data, "ibsi", "ct_phantom", "nifti", "image"))
    mask = read_label_map(_path(data, "ibsi", "ct_phantom", "nifti", "mask"))
    image, roi = ibsi.preprocess(image, mask, 1, PREPROCESS[config])
    return image, roi, resegmented_roi(image, roi, RANGE)


def _entry(config_id: str) -> dict | None:
    number, letter = config_id.split(".")
    return FILTERS[int(number)][letter != "A"]


def statistics(image: sitk.Image, reseg: sitk.Image, entry: dict | None) -> dict[str, float]:
    """The 18 IBSI intensity statistics (tag -> value) of ``entry``'s response map over the ROI."""
    response, sub = cropped(image, reseg) if entry is None else filtered_image(image, reseg, entry)
    features = image_features(response, sub, STATS_PARAMS)
    by_feature = {key.rsplit("_", 1)[-1]: v for key, v in features.items()}
    out = {tag: by_feature[name] for tag, name in PYRADIOMICS_STATS.items()}
    out["stat_kurt"] -= 3.0  # IBSI: excess kurtosis
    values = sitk.GetArrayViewFromImage(response)[sitk.GetArrayViewFromImage(sub) > 0].astype(np.float64)
    p25, p75 = np.percentile(values, [25, 75])
    out["stat_medad"] = float(np.mean(np.abs(values - np.median(values))))
    out["stat_cov"] = float(np.sqrt(out["stat_var"]) / out["stat_mean"])
    out["stat_qcod"] = float((p75 - p25) / (p75 + p25))
    return out


def reference_values(data: str | Path) -> pd.DataFrame:
    """The consensus table: id, tag, reference, tolerance (rows without a consensus value dropped)."""
    path = Path(data) / "ibsi2" / "phase2_reference_values.csv"
    if not path.is_file():
        raise FileNotFoundError(f"IBSI 2 phase 2 reference values not found: {path} (give --data, laid out like shared/data)")
    table = pd.read_csv(path, sep=";").rename(columns={"filter_id": "id", "feature_tag": "tag", "consensus_value": "reference"})
    return table.dropna(subset=["reference"])[["id", "tag", "reference", "tolerance"]].reset_index(drop=True)


def check_phase2(data: str | Path, ids: list[str] | None = None, prepared: dict | None = None) -> pd.DataFrame:
    """Run the configurations (all 18, or ``ids`` such as ``["3.B"]``) and compare with the
    consensus: id, tag, reference, tolerance, value, within_tolerance. ``prepared``: an optional
    cache ``{"A": phantom(data, "A"), ...}`` shared between calls."""
    table = reference_values(data)
    if ids is not None:
        unknown = sorted(set(ids) - set(table["id"]))
        if unknown:
            raise ValueError(f"unknown IBSI 2 phase 2 configuration(s) {unknown}; known: {', '.join(table['id'].unique())}")
        table = table[table["id"].isin(ids)].reset_index(drop=True)
    prepared = {} if prepared is None else prepared
    values: dict[tuple[str, str], float] = {}
    for config_id in table["id"].unique():
        letter = config_id.split(".")[1]
        if letter not in prepared:
            prepared[letter] = phantom(data, letter)
        image, _, reseg = prepared[letter]
        values.update({(config_id, tag): v for tag, v in statistics(image, reseg, _entry(config_id)).items()})
    table["value"] = [values.get((i, t)) for i, t in zip(table["id"], table["tag"], strict=True)]
    table["within_tolerance"] = [within(v, r, t) for v, r, t in zip(table["value"], table["reference"], table["tolerance"], strict=True)]
    return table
