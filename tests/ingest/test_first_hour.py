"""Slips of a new user's first hour, each answered at ingest with the case, the file and the fix
(NIfTI/NRRD inputs; the DICOM ones are in test_bad_inputs.py)."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.images import read_image
from radiodeep.ingest import ingest_case
from radiodeep.preprocess import preprocess_case
from radiodeep.radiomics import load_preset, run_case
from tests.conftest import DEMO


def demo_arrays(case="STS_003"):
    image = sitk.ReadImage(str(DEMO / case / "PET_image.nii.gz"))
    mask = sitk.ReadImage(str(DEMO / case / "PET_mask.nii.gz"))
    return image, mask


def write(array, like, path, pixel=sitk.sitkFloat32):
    img = sitk.Cast(sitk.GetImageFromArray(array), pixel)
    img.CopyInformation(like)
    sitk.WriteImage(img, str(path), useCompression=str(path).endswith(".gz"))
    return path


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii", ".nrrd"])
def test_nan_voxels_are_found_in_every_format(tmp_path, suffix):
    """ITK's NIfTI reader turns stored NaN into 0 (SimpleITK's own round trip included): the
    bytes are checked, and the case fails as it does for NRRD, before any feature is computed."""
    image, mask = demo_arrays()
    arr = sitk.GetArrayFromImage(image)
    roi = sitk.GetArrayFromImage(mask) > 0
    nan = np.zeros(arr.shape, bool)
    nan[np.nonzero(roi)[0][:40], np.nonzero(roi)[1][:40], np.nonzero(roi)[2][:40]] = True
    arr[nan] = np.nan
    path = write(arr, image, tmp_path / f"image{suffix}")
    assert np.isnan(sitk.GetArrayFromImage(sitk.ReadImage(str(path)))).sum() == (0 if ".nii" in suffix else nan.sum())
    back = sitk.GetArrayFromImage(read_image(path, "C1"))
    assert np.array_equal(np.isnan(back), nan)
    with pytest.raises(CaseError, match=f"case C1, file .*image{suffix}: image holds {nan.sum()} NaN/inf voxels"):
        ingest_case(path, DEMO / "STS_003" / "PET_mask.nii.gz", tmp_path / "out", case_id="C1")


def test_mask_with_label_2_only_fails_at_ingest_naming_the_fix(tmp_path):
    image, mask = demo_arrays()
    m = (sitk.GetArrayFromImage(mask) > 0).astype(np.uint8) * 2
    path = write(m, mask, tmp_path / "mask.nii.gz", sitk.sitkUInt8)
    with pytest.raises(CaseError, match=r"holds labels \[2\] but not 1.*roi column.*radiomics.labels"):
        ingest_case(DEMO / "STS_003" / "PET_image.nii.gz", path, tmp_path / "out", case_id="C1")
    header = ingest_case(DEMO / "STS_003" / "PET_image.nii.gz", path, tmp_path / "ok", case_id="C1", roi="2")
    assert header["roi_voxels"] == int((m > 0).sum())
    ingest_case(DEMO / "STS_003" / "PET_image.nii.gz", path, tmp_path / "all", case_id="C1", required_label=None)


def test_constant_image_fails_at_ingest(tmp_path):
    image, _ = demo_arrays()
    path = write(np.zeros(sitk.GetArrayFromImage(image).shape, np.float32), image, tmp_path / "zero.nii.gz")
    with pytest.raises(CaseError, match="zero.nii.gz: image is constant \\(every voxel 0\\)"):
        ingest_case(path, DEMO / "STS_003" / "PET_mask.nii.gz", tmp_path / "out", case_id="C1")


def test_grid_tolerance_of_ingest_holds_for_every_later_stage(tmp_path):
    """A mask shifted by 0.01 mm passes ingest with grid_tolerance_mm 0.02 and then takes the
    image's grid, so preprocess (fixed 0.001 mm check) and radiomics see the same grid."""
    image, mask = demo_arrays()
    shifted = sitk.Image(mask)
    shifted.SetOrigin([o + 0.01 for o in mask.GetOrigin()])
    path = tmp_path / "shifted.nii.gz"
    sitk.WriteImage(shifted, str(path))
    with pytest.raises(CaseError, match="mask grid differs"):
        ingest_case(DEMO / "STS_003" / "PET_image.nii.gz", path, tmp_path / "strict", case_id="C1")
    ingest_case(DEMO / "STS_003" / "PET_image.nii.gz", path, tmp_path / "out", case_id="C1", grid_tolerance_mm=0.02)
    out = tmp_path / "out"
    assert sitk.ReadImage(str(out / "mask.nii.gz")).GetOrigin() == sitk.ReadImage(str(out / "image.nii.gz")).GetOrigin()
    preprocess_case(out / "image.nii.gz", out / "mask.nii.gz", tmp_path / "p" / "image.nii.gz", tmp_path / "p" / "mask.nii.gz",
                    modality="PET", spacing=[4, 4, 4], case_id="C1")
    rec = run_case(tmp_path / "p" / "image.nii.gz", tmp_path / "p" / "mask.nii.gz", tmp_path / "r.json", load_preset("PET"), "C1")
    assert rec["status"] == "ok" and rec["features"]["original_shape_VoxelVolume"] > 0


def test_empty_unet_mask_is_an_excluded_case_not_an_error(tmp_path):
    image, mask = demo_arrays()
    empty = write(np.zeros(sitk.GetArrayFromImage(mask).shape, np.uint8), mask, tmp_path / "empty.nii.gz", sitk.sitkUInt8)
    img = DEMO / "STS_003" / "PET_image.nii.gz"
    rec = run_case(img, empty, tmp_path / "r.json", load_preset("PET"), "C1", on_error="fail", predicted=True)
    assert rec["status"] == "excluded" and "U-Net found no ROI" in rec["reason"] and rec["features"] == {}
    with pytest.raises(CaseError, match="mask is empty"):  # a reference mask that is empty is an input error
        run_case(img, empty, tmp_path / "r2.json", load_preset("PET"), "C1", on_error="fail")


def test_mr_zscore_reference_holds_the_roi_on_tight_crops():
    """On the STS MR-T1 crops Otsu's 'body' is the fat and leaves the tumour out (ROI mean z about
    -3.6): the whole image becomes the reference, and the ROI's z-scores are those of tissue."""
    from radiodeep.preprocess.intensity import mr_reference_region, normalise_intensity
    from tests.workflow.test_modalities import SHARED

    case = SHARED / "MR_T1" / "STS_002"
    if not case.is_dir():
        pytest.skip(f"{case} not present")
    image = sitk.Cast(sitk.ReadImage(str(case / "MR_T1_image.nii.gz")), sitk.sitkFloat32)
    mask = sitk.ReadImage(str(case / "MR_T1_mask.nii.gz"))
    roi = sitk.GetArrayFromImage(mask) > 0
    body = sitk.GetArrayFromImage(__import__("radiodeep.preprocess.intensity", fromlist=["body_mask"]).body_mask(image)) > 0
    assert (body & roi).sum() / roi.sum() < 0.5  # the failure mode itself, on real data
    region, used = mr_reference_region(image, mask, "body", "STS_002")
    assert used.startswith("image (body held") and region.all()
    z = sitk.GetArrayFromImage(normalise_intensity(image, "MR", mask, "body", "STS_002"))[roi]
    assert -1.5 < z.mean() < 1.5


def test_preprocess_qc_shows_which_region_each_mr_case_was_z_scored_over(tmp_path):
    """The MR reference fallback is not only a log line: the preprocess QC table names it per case."""
    import shutil

    from radiodeep.preprocess.stage import preprocess_batch
    from radiodeep.records import write_qc_table
    from tests.workflow.test_modalities import SHARED

    case = SHARED / "MR_T1" / "STS_002"
    if not case.is_dir():
        pytest.skip(f"{case} not present")
    (tmp_path / "in" / "STS_002").mkdir(parents=True)
    shutil.copy(case / "MR_T1_image.nii.gz", tmp_path / "in" / "STS_002" / "image.nii.gz")
    shutil.copy(case / "MR_T1_mask.nii.gz", tmp_path / "in" / "STS_002" / "mask.nii.gz")
    settings = {"modality": "MR", "spacing": [2.0, 2.0, 4.0], "interpolator": "linear", "mr_reference": "body"}
    preprocess_batch([{"case_id": "STS_002", "has_reference_mask": True}], tmp_path / "in", tmp_path / "out",
                     tmp_path / "rec.json", settings)
    qc = write_qc_table([tmp_path / "rec.json"], tmp_path / "qc.csv").set_index("case_id")
    assert qc.at["STS_002", "status"] == "ok"
    assert qc.at["STS_002", "intensity_reference"].startswith("image (body held ")  # the Otsu body missed the tumour
    assert qc.at["STS_002", "spacing"] == "2.0 x 2.0 x 4.0" and qc.at["STS_002", "roi_voxels"] > 1000
