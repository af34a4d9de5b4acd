"""Image types (LoG, wavelet), force2D, per-label extraction and the per-case process split."""

import numpy as np
import pytest
import SimpleITK as sitk

from radiodeep.radiomics import extract_case, load_preset, run_case
from radiodeep.radiomics.presets import params_from_config
from radiodeep.radiomics.split import plan
from tests.conftest import make_volume

FILTERS = {"Original": {}, "LoG": {"sigma": [1.0, 2.0]}, "Wavelet": {}}


@pytest.fixture
def two_label_case(tmp_path):
    rng = np.random.default_rng(3)
    arr = rng.normal(100, 20, (16, 24, 24)).astype(np.float32)
    mask = np.zeros(arr.shape, np.uint8)
    mask[4:10, 4:10, 4:10] = 1
    mask[5:12, 13:20, 12:20] = 2
    arr[mask == 2] += 60
    return (make_volume(tmp_path / "img.nii.gz", arr, spacing=(1.5, 1.5, 2.0)),
            make_volume(tmp_path / "msk.nii.gz", mask, spacing=(1.5, 1.5, 2.0), dtype=sitk.sitkUInt8))


def test_params_from_config_selects_filters_and_2d():
    params = params_from_config({"preset": None, "settings": {"force2D": True}, "image_types": FILTERS}, "CT")
    assert params["imageType"] == FILTERS and params["setting"]["force2D"] is True
    assert params["setting"]["binWidth"] == 25  # the CT preset's
    # force2D: the wavelet filter works on 2 axes, 3 detail sub-bands and the approximation
    groups = plan(params, workers=2, box_voxels=10_000)
    bands = sorted(p.band for g in groups for p in g.pieces if p.image_type == "Wavelet")
    assert bands == [0, 1, 2, 3]


def test_filters_split_across_processes_give_the_same_values(two_label_case):
    params = params_from_config({"preset": "CT", "settings": {"binWidth": 10}, "image_types": FILTERS}, "CT")
    params["featureClass"] = {"shape": None, "firstorder": None, "glcm": ["Contrast"]}
    serial = extract_case(*two_label_case, params, "c1")["features"]
    parallel = extract_case(*two_label_case, params, "c1", workers=2)["features"]
    assert serial == parallel
    n_images = 1 + 2 + 8  # original, 2 LoG sigmas, 8 wavelet sub-bands
    assert len(serial) == 14 + n_images * (18 + 1)
    assert {"log-sigma-2-0-mm-3D_glcm_Contrast", "wavelet-HLH_firstorder_Mean"} <= set(serial)


def test_force2d_changes_texture_not_shape(two_label_case):
    params = load_preset("CT", {"binWidth": 10})
    vol = extract_case(*two_label_case, params, "c1")["features"]
    flat = extract_case(*two_label_case, load_preset("CT", {"binWidth": 10, "force2D": True}), "c1")["features"]
    assert flat["original_shape_VoxelVolume"] == vol["original_shape_VoxelVolume"] == 216 * 1.5 * 1.5 * 2.0
    assert flat["original_glcm_Contrast"] != pytest.approx(vol["original_glcm_Contrast"], rel=1e-3)


def test_every_label_gets_its_own_roi(two_label_case, tmp_path):
    params = load_preset("CT", {"binWidth": 10})
    rec = run_case(*two_label_case, tmp_path / "c.json", params, "c1", labels="all")
    assert [r["roi"] for r in rec["rois"]] == ["1", "2"]
    volumes = [r["features"]["original_shape_VoxelVolume"] for r in rec["rois"]]
    assert volumes == [216 * 4.5, 7 * 7 * 8 * 4.5]
    single = extract_case(*two_label_case, params, "c1", label=2)["features"]
    assert rec["rois"][1]["features"] == single
    assert rec["rois"][1]["features"]["original_firstorder_Mean"] > rec["rois"][0]["features"]["original_firstorder_Mean"] + 40
    skipped = run_case(*two_label_case, tmp_path / "d.json", params, "c1", labels=[1, 3], on_error="skip")
    assert skipped["status"] == "skipped" and "label 3 is absent from the mask; labels present: [1, 2]" in skipped["reason"]
