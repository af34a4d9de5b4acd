"""The data dictionary: one row per feature column, saying what it is.

Handcrafted and deep features share the three-part name ``<imageType>_<featureClass>_<feature>``
(``original_glcm_Contrast``, ``deep-unet_enc4_f0031``), so one parser serves both.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import pandas as pd

from radiodeep.features.rnames import r_names

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


MAX_DESCRIPTION = 160
_ABBREVIATIONS = ("a.k.a", "e.g", "i.e", "etc", "vs", "cf", "approx")
_SYMBOL_PARAGRAPH = ("here", "where", "note that", "calculate and return", "n.b.", "related links")
_DANGLING = {"a", "an", "and", "as", "at", "by", "equal", "for", "in", "is", "of", "on", "or", "the", "to",
             "using", "where", "with"}


@functools.cache
def feature_descriptions() -> dict[tuple[str, str], str]:
    """``{(feature_class, feature): one-line description}`` from the curated table
    ``descriptions.csv`` beside this module (every feature pyradiomics 3.1.4 defines).

    Example:
        >>> feature_descriptions()[("firstorder", "10Percentile")][:40]
        '10th percentile of the voxel intensities'
    """
    from importlib import resources

    table = pd.read_csv(resources.files("radiodeep.features").joinpath("descriptions.csv"),
                        dtype=str, keep_default_na=False)
    return {(c, f): d for c, f, d in zip(table["feature_class"], table["feature"], table["description"], strict=True)}


def describe_feature(feature_class: str, feature: str) -> str:
    """The curated description; pyradiomics' own docstring (cleaned) for a feature the table lacks."""
    return feature_descriptions().get((feature_class, feature)) or _pyradiomics_description(feature_class, feature)


@functools.cache
def _pyradiomics_description(feature_class: str, feature: str) -> str:
    """First prose sentence of pyradiomics' docstring for the feature, or "" (see ``describe_docstring``)."""
    try:
        from radiomics import getFeatureClasses

        cls = getFeatureClasses().get(feature_class)
        doc = getattr(cls, f"get{feature}FeatureValue").__doc__ or ""
    except Exception:  # noqa: BLE001 - a missing description must not stop the table
        return ""
    return describe_docstring(doc)


def _plain_inline(text: str) -> str | None:
    """RST/LaTeX inline markup made plain, or None where a formula cannot be (the caller skips it)."""
    text = re.sub(r"\\ :sup:`([^`]*)`", r"\1", text)  # 10\ :sup:`th` -> 10th
    text = re.sub(r":sup:`([^`]*)`", r"\1", text)
    text = re.sub(r":py:\w+:`~?(?:[\w.]+\.)?(\w+)\(?\)?`", r"\1", text)  # :py:func:`~a.b.getX()` -> getX
    text = re.sub(r"``([^`]*)``", r"\1", text)
    text = re.sub(r"`([^`<]*?)\s*<[^>]*>`_+", r"\1", text)  # `label <link>`_ -> label

    def math(match: re.Match) -> str:
        inner = re.sub(r"\\(?:textbf|textit|text|mathrm)\{([^{}]*)\}", r"\1", match.group(1))
        return inner if re.fullmatch(r"[\w ()=+\-*/.,<>|]*", inner) else "\0"

    text = re.sub(r":math:`([^`]*)`", math, text)
    if "\0" in text:  # keep the words before the first formula that stays LaTeX
        text = _drop_dangling(text.split("\0", 1)[0])
    if re.search(r"[\\{}`]|:\w+:", text):
        return None
    return text


def _drop_dangling(text: str) -> str:
    """``text`` without trailing punctuation and the linking words a cut-off formula leaves behind."""
    words = text.rstrip(" ,;:(").split()
    while words and words[-1].lower() in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(" ,;:(")


def _first_sentence(text: str) -> str:
    """Text up to the first full stop that ends a sentence (not one inside "a.k.a." or "e.g.")."""
    for match in re.finditer(r"\.(?=\s+[A-Z(]|\s*$)", text):
        last_word = text[:match.start()].rsplit(" ", 1)[-1].lower().lstrip("(")
        if last_word not in _ABBREVIATIONS:
            return text[:match.start()]
    return text


def _shorten(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, "..." marking a cut."""
    if len(text) <= limit:
        return text
    return _drop_dangling(text[:limit - 3].rsplit(" ", 1)[0]) + "..."


def describe_docstring(doc: str) -> str:
    """One plain sentence from a pyradiomics feature docstring, or "".

    Skips headings, directives, formula paragraphs and those that only explain a symbol ("Here, c
    is ..."); unwraps simple inline markup; a sentence whose formulas would stay LaTeX is skipped.
    Never cuts a word: an over-long sentence ends at a word boundary with "...".

    Example:
        >>> describe_docstring("**1. X**\\n\\nHere, :math:`c` is a shift.\\n\\nThe 10\\\\ :sup:`th` percentile. More.")
        'The 10th percentile'
    """
    for para in re.split(r"\n\s*\n", doc.strip()):
        para = re.sub(r"\s+", " ", para.strip())
        if not para or para.startswith(("**", "..", ":", "-", "http")) or para.lower().startswith(_SYMBOL_PARAGRAPH):
            continue
        sentence = _plain_inline(_first_sentence(para))
        if sentence is None or len(re.findall(r"[A-Za-z]{3,}", sentence)) < 2:
            continue  # a formula, or a "where:" lead-in
        return _shorten(sentence.rstrip(" .:"))
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
    if image_type.startswith("ibsi-"):  # radiodeep's IBSI 2 filters: the name holds every parameter
        kind, *params = image_type.split("-")[1:]
        return f"IBSI 2 {kind} filter: {', '.join(params)}"
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
                       intensity_unit: str = "", key_columns: Sequence[str] = ("case_id", "patient_id", "roi")) -> pd.DataFrame:
    """One row per feature column: column, r_name, source, image_type, feature_class, feature,
    family, filter, ibsi_code, unit, description.

    ``r_name`` is the column's name in R after ``read.csv`` (``make.names(unique = TRUE)`` over
    the table's ``key_columns`` then ``columns``): syntactic and unique.

    ``ibsi_code`` is given for original-image features only: IBSI 1 defines no filtered images.
    """
    rows = []
    aliases = r_names([*key_columns, *columns])[len(key_columns):]
    for col, r_name in zip(columns, aliases, strict=True):
        image_type, feature_class, feature = split_feature_name(col)
        if source == "radiomics":
            family = FAMILY_NAMES.get(feature_class, feature_class)
            unit = _UNIT_BY_FEATURE.get(feature, "")
            if feature_class == "firstorder" and feature in _INTENSITY_UNIT_FEATURES and image_type == "original":
                unit = intensity_unit
            description = describe_feature(feature_class, feature)
        else:
            family = f"deep embedding ({image_type}, {feature_class})"
            unit = "a.u."
            description = f"CNN embedding component {feature} of layer {feature_class}"
        rows.append({
            "column": col, "r_name": r_name, "source": source, "image_type": image_type, "feature_class": feature_class,
            "feature": feature, "family": family, "filter": _filter_of(image_type),
            "ibsi_code": (ibsi_codes or {}).get(f"{feature_class}_{feature}", "") if image_type == "original" else "",
            "unit": unit,
            "description": description,
        })
    return pd.DataFrame(rows)
