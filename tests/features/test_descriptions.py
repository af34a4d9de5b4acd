"""The data dictionary's descriptions: a curated table for every pyradiomics feature, and a clean
docstring fallback for a feature the table lacks."""

import re

import pytest
from radiomics import getFeatureClasses

from radiodeep.features import dictionary
from radiodeep.features.dictionary import (
    describe_docstring,
    describe_feature,
    feature_descriptions,
    feature_dictionary,
)

PYRADIOMICS_FEATURES = sorted(
    (c, f) for c, cls in getFeatureClasses().items() for f in cls.getFeatureNames()
)
MARKUP = re.compile(r"[\\{}`]|:sup:|:math:|\*\*")


def test_table_covers_every_feature_pyradiomics_defines_and_nothing_else():
    table = feature_descriptions()
    assert ("shape2D", "Perimeter") in PYRADIOMICS_FEATURES  # shape2D and deprecated names are in the list
    assert ("glcm", "Homogeneity1") in PYRADIOMICS_FEATURES
    assert sorted(table) == PYRADIOMICS_FEATURES


@pytest.mark.parametrize("key", PYRADIOMICS_FEATURES, ids="_".join)
def test_every_description_is_one_plain_line(key):
    text = feature_descriptions()[key]
    assert 0 < len(text) <= 160, (key, len(text))
    assert not MARKUP.search(text), (key, text)
    assert "\n" not in text and text == text.strip() and text.endswith(".")


def test_lookup_gives_the_features_own_text():
    d = feature_dictionary(
        ["original_glcm_Contrast", "original_ngtdm_Contrast", "original_firstorder_10Percentile",
         "wavelet-HHL_firstorder_90Percentile", "original_firstorder_Kurtosis", "original_glcm_Homogeneity1",
         "original_glcm_SumAverage", "original_shape_MajorAxisLength", "original_shape2D_Perimeter"],
        "radiomics",
    ).set_index("column")["description"]
    assert "contrast" in d["original_glcm_Contrast"].lower()
    assert "neighbouring voxels" in d["original_glcm_Contrast"]
    assert "dynamic range" in d["original_ngtdm_Contrast"]  # same feature name, other class, other text
    assert "10th percentile" in d["original_firstorder_10Percentile"]
    assert "90th percentile" in d["wavelet-HHL_firstorder_90Percentile"]  # filtered images share the text
    assert "plain kurtosis in pyradiomics mode" in d["original_firstorder_Kurtosis"]
    assert "Deprecated" in d["original_glcm_Homogeneity1"] and "glcm Id" in d["original_glcm_Homogeneity1"]
    assert "JointAverage" in d["original_glcm_SumAverage"]
    assert "PCA" in d["original_shape_MajorAxisLength"] and "largest eigenvalue" in d["original_shape_MajorAxisLength"]
    assert "outline" in d["original_shape2D_Perimeter"]


def test_a_feature_missing_from_the_table_falls_back_to_the_cleaned_docstring(monkeypatch):
    monkeypatch.setattr(dictionary, "feature_descriptions", lambda: {})
    assert describe_feature("glcm", "Id") == (
        "ID (a.k.a. Homogeneity 1) is another measure of the local homogeneity of an image")  # not cut at "a.k.a."
    assert describe_feature("firstorder", "10Percentile") == "The 10th percentile of X"  # was "" (markup only)
    assert describe_feature("firstorder", "Energy").startswith("Energy is a measure of the magnitude")  # not "Here, c ..."
    assert describe_feature("shape", "MajorAxisLength").endswith("using the largest principal component")
    assert describe_feature("glcm", "NoSuchFeature") == "" and describe_feature("noclass", "Contrast") == ""
    d = feature_dictionary(["original_glcm_Contrast"], "radiomics").set_index("column")
    assert d.at["original_glcm_Contrast", "description"].startswith("Contrast is a measure of the local intensity")


@pytest.mark.parametrize("key", PYRADIOMICS_FEATURES, ids="_".join)
def test_the_fallback_never_returns_markup(key):
    text = dictionary._pyradiomics_description(*key)
    assert len(text) <= 160 and not MARKUP.search(text), (key, text)


def test_docstring_fallback_cuts_at_words_and_skips_formulas():
    assert describe_docstring("**1. X**\n\n.. math::\n  x = \\frac{a}{b}\n\nwhere:\n\n:math:`a` is y.") == ""
    assert describe_docstring("Here, :math:`c` is a shift.\n\nThe spread of :math:`\\textbf{X}` values. More.") == (
        "The spread of X values")
    assert describe_docstring("Ratio of area, equal to :math:`\\sqrt[3]{V}` in mm.") == "Ratio of area"
    words = " ".join(f"word{i:03d}" for i in range(60))
    text = describe_docstring(words + ".")
    assert len(text) <= 160 and text.endswith("...")
    assert text[:-3].split()[-1] in words.split()  # the last word is whole
