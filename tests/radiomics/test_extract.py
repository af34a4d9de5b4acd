import json

import numpy as np
import pytest
import SimpleITK as sitk
from radiomics.featureextractor import RadiomicsFeatureExtractor

from radiodeep.errors import CaseError
from radiodeep.radiomics import extract_case, load_preset, run_case
from radiodeep.radiomics.ibsi import ibsi_settings
from radiodeep.radiomics.presets import available_presets, pyradiomics_sections
from tests.conftest import make_volume


def test_presets_load_and_are_valid_pyradiomics_parameters():
    assert {"CT", "MR", "PET", "IBSI_phantom", "IBSI_A", "IBSI_B", "IBSI_C", "IBSI_D", "IBSI_E"} <= set(available_presets())
    for name in available_presets():
        params = load_preset(name)
        extractor = RadiomicsFeatureExtractor(pyradiomics_sections(params))  # pyradiomics validates the schema
        assert extractor.settings["label"] == 1
        if name.startswith("IBSI_"):
            ibsi_settings(params)  # only known keys
            assert "Compactness1" in params["featureClass"]["shape"]
    assert load_preset("IBSI_B")["setting"]["force2D"] is True and not load_preset("IBSI_C")["setting"].get("force2D")
    assert load_preset("IBSI_C")["ibsi"] == {"spacing": [2, 2, 2], "interpolator": "linear", "round_intensities": True, "mask_threshold": 0.5, "range": [-1000, 400]}
    assert load_preset("IBSI_E")["ibsi"]["interpolator"] == "bspline" and load_preset("IBSI_E")["ibsi"]["outlier_sd"] == 3
    assert load_preset("PET", {"binWidth": 0.5})["setting"]["binWidth"] == 0.5
    with pytest.raises(ValueError, match="unknown radiomics preset"):
        load_preset("XR")


def test_values_equal_plain_pyradiomics_on_demo_case(demo_dir):
    image, mask = demo_dir / "STS_001" / "PET_image.nii.gz", demo_dir / "STS_001" / "PET_mask.nii.gz"
    params = load_preset("PET")
    ours = extract_case(image, mask, params, "STS_001")
    theirs = RadiomicsFeatureExtractor(params).execute(str(image), str(mask))
    plain = {k: float(v) for k, v in theirs.items() if not k.startswith("diagnostics_")}
    assert set(ours["features"]) == set(plain)
    assert len(plain) == 107
    for name, value in plain.items():
        assert ours["features"][name] == pytest.approx(value, rel=1e-12)
    # a value that would change if the mask or binning were wrong: 5095 voxels of 4.6875 x 4.6875 x 3.27 mm
    assert ours["features"]["original_shape_VoxelVolume"] == pytest.approx(5095 * 4.6875**2 * 3.27, rel=1e-5)
    assert "diagnostics_Mask-original_VoxelNum" in ours["diagnostics"]


def _bad(tmp_path, mask_arr, image_arr=None):
    img = image_arr if image_arr is not None else np.random.default_rng(1).normal(5, 1, mask_arr.shape).astype(np.float32)
    # .mha keeps NaN voxels (ITK's NIfTI reader turns them into 0)
    return make_volume(tmp_path / "img.mha", img), make_volume(tmp_path / "msk.nii.gz", mask_arr, dtype=sitk.sitkUInt8)


def test_bad_inputs_give_case_errors(tmp_path):
    params = load_preset("CT")
    empty = np.zeros((10, 10, 10), np.uint8)
    with pytest.raises(CaseError, match=r"case e1, file .*msk.nii.gz: mask is empty"):
        extract_case(*_bad(tmp_path, empty), params, "e1")
    one = empty.copy()
    one[5, 5, 5] = 1
    with pytest.raises(CaseError, match="has 1 voxel"):
        extract_case(*_bad(tmp_path, one), params, "e2")
    two = empty.copy()
    two[3:6, 3:6, 3:6] = 2
    with pytest.raises(CaseError, match=r"label 1 is absent from the mask; labels present: \[2\]"):
        extract_case(*_bad(tmp_path, two), params, "e3")
    roi = empty.copy()
    roi[3:7, 3:7, 3:7] = 1
    img = np.ones((10, 10, 10), np.float32)
    img[4, 4, 4] = np.nan
    with pytest.raises(CaseError, match=r"case e4, file .*img.mha: 1 NaN/inf voxels inside the ROI"):
        extract_case(*_bad(tmp_path, roi, img), params, "e4")


def test_on_error_skip_writes_reason(tmp_path):
    image, mask = _bad(tmp_path, np.zeros((8, 8, 8), np.uint8))
    rec = run_case(image, mask, tmp_path / "out.json", load_preset("CT"), "e5", on_error="skip")
    assert rec["status"] == "skipped"
    stored = json.loads((tmp_path / "out.json").read_text())
    assert "mask is empty" in stored["reason"] and stored["features"] == {}
    with pytest.raises(CaseError):
        run_case(image, mask, tmp_path / "out2.json", load_preset("CT"), "e5")
    assert not (tmp_path / "out2.json").exists()
