"""IBSI mode: preprocessing against the IBSI diagnostic reference values, and the compliance counts
on the IBSI 1 phantoms (tests/data/ibsi, copied from the IBSI data sets; see its README)."""

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from typer.testing import CliRunner

from radiodeep.cli import app
from radiodeep.images import read_image, read_label_map
from radiodeep.radiomics import ibsi
from radiodeep.radiomics.compliance import DEFAULT_DATA, check, within
from radiodeep.radiomics.presets import load_preset
from tests.conftest import REPO

assert DEFAULT_DATA == REPO / "tests" / "data" / "ibsi"
CT = DEFAULT_DATA / "ct_phantom" / "nifti"


def _reference(config: str) -> dict[str, tuple[float, float]]:
    ref = pd.read_csv(DEFAULT_DATA / "reference_values" / f"ibsi_1_reference_values_config_{config}.csv", encoding="utf-8-sig")
    return {t: (v, tol) for t, v, tol in zip(ref["tag"], ref["reference value"], ref["tolerance"], strict=True)}


def test_centred_grid_is_ibsi_grid():
    img = sitk.Image([5, 4, 3], sitk.sitkFloat32)
    img.SetSpacing([1.0, 1.0, 3.0])
    img.SetOrigin([10.0, 20.0, 30.0])
    size, spacing, origin = ibsi.centred_grid(img, [2, 3, 0])
    assert size == [3, 2, 3] and spacing == [2.0, 3.0, 3.0]
    # centres coincide: 10 + (5-1)/2 = origin + (3-1)/2 * 2 ; 20 + 1.5 = origin + 0.5 * 3
    assert origin == pytest.approx([10.0, 20.0, 30.0])
    size, _, origin = ibsi.centred_grid(img, [0.4, 1, 1])
    assert size[0] == 13 and origin[0] == pytest.approx(10 + (4 - 12 * 0.4) / 2)


@pytest.mark.parametrize("config", ["C", "E"])
def test_preprocessing_matches_ibsi_diagnostics(config):
    ref = _reference(config)
    settings = ibsi.ibsi_settings(load_preset(f"IBSI_{config}"))
    image, mask = ibsi.preprocess(read_image(next((CT / "image").glob("*.nii.gz"))),
                                  read_label_map(next((CT / "mask").glob("*.nii.gz"))), 1, settings)
    arr, roi = sitk.GetArrayFromImage(image), sitk.GetArrayFromImage(mask) > 0

    def ok(tag, value):
        v, tol = ref[tag]
        assert abs(value - v) <= tol, (tag, value, v, tol)

    for axis, name in enumerate("xyz"):
        ok(f"img_dim_{name}_interp_img", image.GetSize()[axis])
    ok("mean_int_interp_img", arr.mean())
    ok("morph_mask_vox_count_interp_roi", roi.sum())
    ok("int_mask_mean_int_interp_roi", arr[roi].mean())
    assert np.all(arr == np.round(arr))  # CT intensities rounded after interpolation
    lo, hi = ibsi.resegmentation_range(image, mask, settings)
    kept = arr[roi][(arr[roi] >= lo) & (arr[roi] <= hi)]
    ok("int_mask_vox_count_reseg_roi", kept.size)
    ok("int_mask_mean_int_reseg_roi", kept.mean())


def test_bins_from_lower_bound_and_corrections():
    from radiomics import imageoperations

    values = np.array([-940.0, -900.0, -10.0, 399.0])
    with ibsi.bins_from(-1000.0):
        binned, _ = imageoperations.binImage(values, binWidth=25)
    assert binned.tolist() == [3, 5, 40, 56]  # floor((x + 1000) / 25) + 1
    assert imageoperations.binImage(values, binWidth=25)[0].tolist() == [1, 3, 38, 54]  # pyradiomics: from the ROI minimum's bin
    assert ibsi.bin_origin(load_preset("IBSI_C")) == -1000 and ibsi.bin_origin(load_preset("IBSI_B")) is None
    assert ibsi.ibsi_settings(load_preset("CT"))["range"] == [-1000, 3000]  # falls back on resegmentRange
    assert ibsi.ibsi_settings(load_preset("IBSI_D"))["range"] is None  # sigma mode: no absolute range
    fixed = ibsi.correct_features({"original_firstorder_Kurtosis": 2.5, "original_shape_MajorAxisLength": 10.0,
                                   "original_shape_Elongation": 0.5, "original_firstorder_Mean": 1.0}, 5)
    assert fixed == {"original_firstorder_Kurtosis": -0.5, "original_shape_MajorAxisLength": pytest.approx(10 * np.sqrt(5 / 4)),
                     "original_shape_Elongation": 0.5, "original_firstorder_Mean": 1.0}


def test_within_tolerance_rules():
    assert within(0.2999, 0.3, 0.0) and not within(0.2994, 0.3, 0.0)  # tolerance 0: 3 significant figures
    assert within(367453.7, 367000, 6000) and not within(373001, 367000, 6000) and not within(None, 1.0, 1.0)


# Pinned compliance counts (see docs/ibsi.md): every mapped feature in IBSI mode; stock pyradiomics
# with the configuration's own settings for comparison.
IBSI_COUNTS = {("digital", None): (267, 267), **{("ct", c): (149, 149) for c in "ABCDE"}}
STOCK_COUNTS = {("digital", None): 264, ("ct", "A"): 148, ("ct", "B"): 56, ("ct", "C"): 25, ("ct", "D"): 23, ("ct", "E"): 16}


@pytest.mark.parametrize(("phantom", "config"), list(IBSI_COUNTS))
def test_ibsi_mode_meets_every_reference_value(phantom, config):
    table = check(phantom, config)
    assert (int(table["within_tolerance"].sum()), len(table)) == IBSI_COUNTS[(phantom, config)], table[~table["within_tolerance"]]
    assert int(check(phantom, config, mode="pyradiomics")["within_tolerance"].sum()) == STOCK_COUNTS[(phantom, config)]


def test_ibsi_check_cli_writes_table(tmp_path):
    out = tmp_path / "t.csv"
    result = CliRunner().invoke(app, ["ibsi-check", "--phantom", "digital", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "267 of 267 mapped features within tolerance" in result.output
    table = pd.read_csv(out)
    assert list(table.columns[:5]) == ["tag", "reference", "tolerance", "value", "within_tolerance"]
    assert table.set_index("tag").at["stat_kurt", "value"] == pytest.approx(-0.355, abs=5e-4)  # excess kurtosis
    bad = CliRunner().invoke(app, ["ibsi-check", "--phantom", "ct", "--config", "F"])
    assert bad.exit_code == 2 and "A, B, C, D, E" in bad.output
