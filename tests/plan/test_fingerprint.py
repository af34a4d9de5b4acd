"""The ingest batch's saved fingerprints give the plan the very values it got from the images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiodeep.ingest import ingest_batch
from radiodeep.plan import plan_cohort
from radiodeep.plan.fingerprint import case_fingerprint, load_fingerprint, save_fingerprint

DEMO = Path(__file__).resolve().parents[2] / "data" / "sts_pet"
CONFIG = {"modality": "PET", "seed": 3, "preprocess": {"spacing": "auto", "interpolator": "linear", "mr_reference": "body"},
          "segment": {"patch_size": "auto", "architecture": "auto"}, "embed": {}}


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if key == "sample":
            np.testing.assert_array_equal(a[key], b[key])
        else:
            assert a[key] == b[key], key


def test_plan_from_saved_fingerprints_equals_plan_from_images(tmp_path):
    ids = ["STS_001", "STS_005", "STS_012", "STS_030"]
    rows = [{"case_id": c, "image": str(DEMO / c / "PET_image.nii.gz"), "mask": str(DEMO / c / "PET_mask.nii.gz")} for c in ids]
    ingest_batch(rows, tmp_path / "ingest", tmp_path / "ingest_1.json", modality="PET")
    cases = [{"case_id": c, "image": tmp_path / "ingest" / c / "image.nii", "mask": tmp_path / "ingest" / c / "mask.nii"} for c in ids]
    for i, c in enumerate(cases):
        saved = load_fingerprint(tmp_path / "ingest" / c["case_id"] / "fingerprint.npz", c["case_id"], "PET", True, 3 + i)
        _same(saved, case_fingerprint(c["case_id"], c["image"], c["mask"], "PET", seed=3 + i))
        assert saved["roi_voxels"] > 100 and saved["sample"].size == min(saved["roi_voxels"], 10_000)
    plan_cohort(cases, CONFIG, tmp_path / "a.json", 0.25, False)
    with_saved = [{**c, "fingerprint": tmp_path / "ingest" / c["case_id"] / "fingerprint.npz"} for c in cases]
    from_saved = plan_cohort(with_saved, CONFIG, tmp_path / "b.json", 0.25, False)
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    assert from_saved["settings"]["preprocess.spacing"]["value"] == [4.0, 4.0, 4.0]  # the demo's grid
    assert json.loads((tmp_path / "b.json").read_text())["fingerprint"]["n_with_roi"] == 4


@pytest.mark.parametrize("modality", ["CT", "MR"])
def test_saved_fingerprint_of_an_odd_grid_and_a_large_roi(tmp_path, modality):
    rng = np.random.default_rng(0)
    image = sitk.GetImageFromArray(rng.normal(40, 30, (30, 64, 64)).astype(np.float32))
    image.SetSpacing((0.7031, 0.7031, 2.5))  # not a float32 number: NIfTI stores it rounded
    roi = np.zeros((30, 64, 64), np.uint8)
    roi[5:25, 10:50, 12:60] = 1  # 38,400 voxels: the plan samples 10,000 of them
    mask = sitk.GetImageFromArray(roi)
    mask.CopyInformation(image)
    sitk.WriteImage(image, str(tmp_path / "image.nii"))
    sitk.WriteImage(mask, str(tmp_path / "mask.nii"))
    save_fingerprint(tmp_path / "fp.npz", "c1", image, mask, modality)
    for reference in ("body", "roi") if modality == "MR" else ("body",):  # MR: z-scored per preprocess.mr_reference
        saved = load_fingerprint(tmp_path / "fp.npz", "c1", modality, True, seed=7, mr_reference=reference)
        _same(saved, case_fingerprint("c1", tmp_path / "image.nii", tmp_path / "mask.nii", modality, reference, seed=7))
    if modality == "MR":  # a z-score: the ROI's mean is 0 when the ROI is the reference, not with the body
        roi_fp = load_fingerprint(tmp_path / "fp.npz", "c1", "MR", True, seed=7, mr_reference="roi")
        assert abs(roi_fp["roi_mean"]) < 1e-5 and roi_fp["roi_sd"] == pytest.approx(1.0, abs=1e-4)
    assert saved["roi_voxels"] == 38_400 and saved["sample"].size == 10_000
    assert saved["roi_extent_mm"] == pytest.approx([48 * 0.7031, 40 * 0.7031, 50.0], rel=1e-6)
