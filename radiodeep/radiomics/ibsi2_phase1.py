"""IBSI 2 phase 1: response maps of the digital phantoms against the consensus response maps.

Data laid out like ``shared/data/ibsi2``: ``digital_phantoms/<phantom>/image.nii.gz`` and
``reference_response_maps/<id>-ValidCRM.nii.gz``. Each configuration (filter, parameters,
boundary condition, phantom) follows the IBSI 2 reference manual, parameter by parameter as in
MIRP's open test of the same maps. Pass rule (IBSI 2): every voxel within 1% of the consensus
map's value range.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

from radiodeep.radiomics.filters import apply_filter, filter_name

_L = {"filter": "laws"}
_G = {"filter": "gabor", "response": "modulus", "pooling": "mean"}
_W = {"filter": "wavelet", "pooling": "mean"}
#: configuration id -> (phantom, ibsi_filters entry); ids as in the consensus maps' file names
CONFIGS: dict[str, tuple[str, dict]] = {
    "1_a_1": ("checkerboard", {"filter": "mean", "support": 15, "mode": "constant"}),
    "1_a_2": ("checkerboard", {"filter": "mean", "support": 15, "mode": "nearest"}),
    "1_a_3": ("checkerboard", {"filter": "mean", "support": 15, "mode": "periodic"}),
    "1_a_4": ("checkerboard", {"filter": "mean", "support": 15, "mode": "mirror"}),
    "1_b_1": ("impulse", {"filter": "mean", "support": 15, "mode": "constant", "dims": 2}),
    "2_a": ("impulse", {"filter": "log", "sigma": 3.0, "truncate": 4.0, "mode": "constant"}),
    "2_b": ("checkerboard", {"filter": "log", "sigma": 5.0, "truncate": 4.0, "mode": "mirror"}),
    "2_c": ("checkerboard", {"filter": "log", "sigma": 5.0, "truncate": 4.0, "mode": "mirror", "dims": 2}),
    "3_a_1": ("impulse", {**_L, "kernel": "E5L5S5", "rotation_invariance": False, "energy": False, "mode": "constant"}),
    "3_a_2": ("impulse", {**_L, "kernel": "E5L5S5", "energy": False, "mode": "constant"}),
    "3_a_3": ("impulse", {**_L, "kernel": "E5L5S5", "delta": 7, "mode": "constant"}),
    "3_b_1": ("checkerboard", {**_L, "kernel": "E3W5R5", "rotation_invariance": False, "energy": False}),
    "3_b_2": ("checkerboard", {**_L, "kernel": "E3W5R5", "energy": False}),
    "3_b_3": ("checkerboard", {**_L, "kernel": "E3W5R5", "delta": 7}),
    "3_c_1": ("checkerboard", {**_L, "kernel": "L5S5", "rotation_invariance": False, "energy": False}),
    "3_c_2": ("checkerboard", {**_L, "kernel": "L5S5", "energy": False}),
    "3_c_3": ("checkerboard", {**_L, "kernel": "L5S5", "delta": 7}),
    "4_a_1": ("impulse", {**_G, "sigma": 10.0, "gamma": 0.5, "lambda": 4.0, "theta": 60.0, "theta_step": None,
                          "mode": "constant"}),
    "4_a_2": ("impulse", {**_G, "sigma": 10.0, "gamma": 0.5, "lambda": 4.0, "theta_step": 45.0, "mode": "constant"}),
    "4_b_1": ("sphere", {**_G, "sigma": 20.0, "gamma": 2.5, "lambda": 8.0, "theta": 225.0, "theta_step": None}),
    "4_b_2": ("sphere", {**_G, "sigma": 20.0, "gamma": 2.5, "lambda": 8.0, "theta_step": 22.5}),
    "5_a_1": ("impulse", {**_W, "wavelet": "db2", "subband": "LHL", "rotation_invariance": False, "mode": "constant"}),
    "5_a_2": ("impulse", {**_W, "wavelet": "db2", "subband": "LHL", "mode": "constant"}),
    "6_a_1": ("sphere", {**_W, "wavelet": "coif1", "subband": "HHL", "rotation_invariance": False, "mode": "periodic"}),
    "6_a_2": ("sphere", {**_W, "wavelet": "coif1", "subband": "HHL", "mode": "periodic"}),
    "7_a_1": ("checkerboard", {**_W, "wavelet": "haar", "subband": "LLL", "level": 2}),
    "7_a_2": ("checkerboard", {**_W, "wavelet": "haar", "subband": "HHH", "level": 2}),
    "8_a_1": ("checkerboard", {"filter": "simoncelli", "level": 1, "mode": "periodic"}),
    "8_a_2": ("checkerboard", {"filter": "simoncelli", "level": 2, "mode": "periodic"}),
    "8_a_3": ("checkerboard", {"filter": "simoncelli", "level": 3, "mode": "periodic"}),
}
#: consensus maps whose configuration radiodeep does not implement, and why (see docs/ibsi.md)
NOT_IMPLEMENTED = {
    "9_a": "configuration 9 is not implemented (its parameters are not in the sources radiodeep followed)",
    "9_b_1": "configuration 9 is not implemented (its parameters are not in the sources radiodeep followed)",
    "10_b_1": "configuration 10 (Riesz-transformed filter) is not implemented",
}


def _read(path: Path) -> tuple[np.ndarray, tuple[float, ...]]:
    if not path.is_file():
        raise FileNotFoundError(f"IBSI 2 file not found: {path} (give --data, a folder laid out like shared/data/ibsi2)")
    image = sitk.ReadImage(str(path))
    return sitk.GetArrayFromImage(image).astype(np.float64), tuple(reversed(image.GetSpacing()))


def response_map(data: Path, config: str) -> np.ndarray:
    """radiodeep's response map of configuration ``config`` (e.g. ``3_b_2``), (z, y, x)."""
    phantom, entry = CONFIGS[config]
    image, spacing = _read(Path(data) / "digital_phantoms" / phantom / "image.nii.gz")
    return apply_filter(image, spacing, entry)


def compare(computed: np.ndarray, reference: np.ndarray) -> dict:
    """IBSI 2's pass rule: max |computed - reference| <= 1% of the reference's range."""
    span = float(reference.max() - reference.min())
    worst = float(np.max(np.abs(computed - reference)))
    tolerance = 0.01 * span
    return {"max_abs_difference": worst, "tolerance": tolerance,
            "fraction_within": float(np.mean(np.abs(computed - reference) <= tolerance)),
            "passed": bool(worst <= tolerance)}


def check_phase1(data: str | Path) -> pd.DataFrame:
    """One row per consensus map: id, phantom, filter, passed, max difference, tolerance, note."""
    data = Path(data)
    rows = []
    for path in sorted((data / "reference_response_maps").glob("*-ValidCRM.nii*")):
        config = path.name.split("-")[0]
        if config not in CONFIGS:
            rows.append({"id": config, "phantom": None, "filter": None, "passed": False, "max_abs_difference": None,
                         "tolerance": None, "fraction_within": None, "note": NOT_IMPLEMENTED.get(config, "unknown id")})
            continue
        reference, _ = _read(path)
        result = compare(response_map(data, config), reference)
        phantom, entry = CONFIGS[config]
        rows.append({"id": config, "phantom": phantom, "filter": filter_name(entry), **result, "note": ""})
    if not rows:
        raise FileNotFoundError(f"no consensus response maps under {data / 'reference_response_maps'}")
    return pd.DataFrame(rows)
