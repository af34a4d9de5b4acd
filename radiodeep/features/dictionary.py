"""The data dictionary: one row per feature column, saying what it is.

Handcrafted and deep features share the three-part name ``<imageType>_<featureClass>_<feature>``
(``original_glcm_Contrast``, ``deep-unet_enc4_f0031``), so one parser serves both.
"""

from __future__ import annotations

import functools
import re

import pandas as pd

FAMILY_NAMES = {
    "shape": "shape (3D morphology)",
    "shape2D": "shape (2D morphology)",
    "firstorder": "first-order intensity statistics",
    "glcm": "grey level co-occurrence matrix",
    "glrlm": "grey level run length matrix",
    "glszm": "grey level size zone matrix",
    "gldm": "grey level dependence matrix",
    "ngtdm": "neighbouring grey tone difference matrix",
}
_UNIT_BY_FEATURE = {
    "MeshVolume": "mm^3",
    "VoxelVolume": "mm^3",
    "SurfaceArea": "mm^2",
    "Maximum3DDiameter": "mm",
    "Maximum2DDiameterSlice": "mm",
    "Maximum2DDiameterColumn": "mm",
    "Maximum2DDiameterRow": "mm",
    "MajorAxisLength": "mm",
    "MinorAxisLength": "mm",
    "LeastAxisLength": "mm",
    "SurfaceVolumeRatio": "1/mm",
}
_INTENSITY_UNIT_FEATURES = {
    "10Percentile", "90Percentile", "Maximum", "Mean", "Median", "Minimum", "Range",
    "InterquartileRange", "MeanAbsoluteDeviation", "RobustMeanAbsoluteDeviation", "RootMeanSquared",
}


def split_feature_name(name: str) -> tuple[str, str, str]:
    """Split ``original_glcm_Contrast`` into (image_type, feature_class, feature).

    Image types may contain underscores-free hyphens (``wavelet-LLH``, ``log-sigma-1-0-mm-3D``).

    Example:
        >>> split_feature_name("wavelet-LLH_glcm_Contrast")
        ('wavelet-LLH', 'glcm', 'Contrast')
    """
    parts = name.split("_", 2)
    if len(parts) != 3:
        raise ValueError(f"feature name {name!r} is not of the form <imageType>_<featureClass>_<feature>")
    return parts[0], parts[1], parts[2]


@functools.cache
def _pyradiomics_description(feature_class: str, feature: str) -> str:
    """First sentence of pyradiomics' own docstring for the feature (its formula text follows there)."""
    try:
        from radiomics import getFeatureClasses

        cls = getFeatureClasses().get(feature_class)
        doc = getattr(cls, f"get{feature}FeatureValue").__doc__ or ""
    except Exception:  # noqa: BLE001 - a missing description must not stop the table
        return ""
    for para in re.split(r"\n\s*\n", doc.strip()):
        para = para.strip()
        if not para or para.startswith(("**", "..", ":")):
            continue
        if "\\" in para and len(re.findall(r"[A-Za-z]{3,}", re.sub(r"\\[A-Za-z]+", "", para))) < 6:
            continue  # an indented formula, not prose
        text = re.sub(r":math:`([^`]*)`", r"\1", re.sub(r"\s+", " ", para))
        return text.split(". ")[0].rstrip(".")[:200]
    return ""


def _filter_of(image_type: str) -> str:
    if image_type == "original":
        return "none"
    if image_type.startswith("log-sigma"):
        sigma = image_type.split("-")[2:4]
        return f"Laplacian of Gaussian, sigma {'.'.join(sigma)} mm"
    if image_type.startswith("wavelet"):
        return f"wavelet {image_type.split('-', 1)[1]}"
    if image_type.startswith("deep"):
        return "none"
    return image_type


def ibsi_codes(mode: str = "pyradiomics") -> dict[str, str]:
    """``{"<featureClass>_<feature>": IBSI code}`` from the IBSI mapping (featuresDict_IBSIv7 of the
    pyradiomics IBSI benchmark, names checked against pyradiomics, with the codes it lacked added
    from the IBSI manual). Kurtosis gets its code (IPH6, excess kurtosis) only in ``ibsi`` mode.

    Example:
        >>> ibsi_codes()["glcm_JointAverage"], "firstorder_Kurtosis" in ibsi_codes()
        ('60VM', False)
    """
    from importlib import resources

    table = pd.read_csv(resources.files("radiodeep.features").joinpath("ibsi_codes.csv"))
    table = table[(table["mode"] == "any") | (table["mode"] == mode)]
    return {f"{c}_{f}": code for c, f, code in zip(table["feature_class"], table["feature"], table["ibsi_code"], strict=True)}


def feature_dictionary(columns: list[str], source: str, ibsi_codes: dict[str, str] | None = None,
                       intensity_unit: str = "") -> pd.DataFrame:
    """One row per feature column: column, source, image_type, feature_class, feature, family,
    filter, ibsi_code, unit, description.

    ``ibsi_code`` is given for original-image features only: IBSI 1 defines no filtered images.
    """
    rows = []
    for col in columns:
        image_type, feature_class, feature = split_feature_name(col)
        if source == "radiomics":
            family = FAMILY_NAMES.get(feature_class, feature_class)
            unit = _UNIT_BY_FEATURE.get(feature, "")
            if feature_class == "firstorder" and feature in _INTENSITY_UNIT_FEATURES and image_type == "original":
                unit = intensity_unit
            description = _pyradiomics_description(feature_class, feature)
        else:
            family = f"deep embedding ({image_type}, {feature_class})"
            unit = "a.u."
            description = f"CNN embedding component {feature} of layer {feature_class}"
        rows.append({
            "column": col, "source": source, "image_type": image_type, "feature_class": feature_class,
            "feature": feature, "family": family, "filter": _filter_of(image_type),
            "ibsi_code": (ibsi_codes or {}).get(f"{feature_class}_{feature}", "") if image_type == "original" else "",
            "unit": unit,
            "description": description,
        })
    return pd.DataFrame(rows)
