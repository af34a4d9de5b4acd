"""CT (GE) and MR-T1 (Philips, registered by MIM) DICOM against the IBSI team's NIfTI, and series selection in CT/MR folders."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.uid import generate_uid

from radiodeep.errors import CaseError
from radiodeep.ingest import ingest_case
from tests.ingest.conftest import (
    dice,
    edit_series,
    multimodal_nifti,
    multimodal_series,
    read,
    writable_copy,
)

ROIS = {"CT": "GTV_Mass_CT", "MR": "GTV_Mass_MR_T1"}


@pytest.mark.parametrize("case", ["STS_002", "STS_024"])
@pytest.mark.parametrize("modality", ["CT", "MR"])
def test_ct_and_mr_equal_ibsi_nifti(tmp_path, case, modality):
    image, rs = multimodal_series(case, modality)
    header = ingest_case(image, rs, tmp_path, case_id=case, modality=modality)
    ref_image, ref_mask = multimodal_nifti(case, modality)
    ours, ref = sitk.ReadImage(str(tmp_path / "image.nii.gz")), sitk.ReadImage(str(ref_image))
    assert np.array_equal(sitk.GetArrayFromImage(ours), sitk.GetArrayFromImage(ref))  # HU / MR values, voxel for voxel
    assert np.allclose(ours.GetSpacing(), ref.GetSpacing(), atol=1e-5)
    assert np.allclose(ours.GetOrigin(), ref.GetOrigin(), atol=1e-4)
    assert np.allclose(ours.GetDirection(), ref.GetDirection(), atol=1e-6)
    mask, ref_m = read(tmp_path / "mask.nii.gz"), read(ref_mask)
    d = dice(mask, ref_m)
    assert d >= 0.98, f"{case} {modality}: Dice {d:.4f}"
    assert header["roi"] == ROIS[modality] and header["roi_voxels"] == int(mask.sum())
    assert header["modality"] == modality and header["frame_of_reference"] == "match"
    assert header["units"] == ("HU" if modality == "CT" else "stored values (rescaled)")
    if modality == "CT":
        assert sitk.GetArrayFromImage(ours).min() < -900  # air in HU, not raw stored values


def _copy_as_series(src, dest, description, image_type=None, keep=None):
    """Copy a series' files to ``dest`` under a new SeriesInstanceUID (optionally only the files ``keep`` selects)."""
    uid = generate_uid()
    dest.mkdir()
    for f in sorted(src.glob("*.dcm")):
        ds = pydicom.dcmread(f)
        if keep and not keep(ds):
            continue
        ds.SeriesInstanceUID, ds.SOPInstanceUID, ds.SeriesDescription = uid, generate_uid(), description
        if image_type:
            ds.ImageType = image_type
        ds.save_as(dest / f.name)
    return uid


def test_ct_study_folder_localizer_and_contrast_phases(tmp_path, caplog):
    """A CT study folder: the venous series, a localizer and an arterial phase: rule, tie error listing them, series_uid."""
    image, rs = multimodal_series("STS_002", "CT")
    study = tmp_path / "study"
    venous = writable_copy(image, study / "venous")
    first = sorted(venous.glob("*.dcm"))[0]
    _copy_as_series(venous, study / "scout", "scout", ["ORIGINAL", "PRIMARY", "LOCALIZER"], keep=lambda ds: True)
    arterial = _copy_as_series(venous, study / "arterial", "arterial phase")
    with pytest.raises(CaseError, match="2 image series fit the selection rule equally") as err:
        ingest_case(study, rs, tmp_path / "out", case_id="C1", modality="CT")
    assert "arterial phase" in str(err.value) and "LOCALIZER" not in str(err.value)  # the localizer is ruled out
    header = ingest_case(study, rs, tmp_path / "out", case_id="C1", modality="CT", series_uid=arterial)
    assert header["series_description"] == "arterial phase" and header["n_slices"] == 48
    # a shorter arterial phase: the rule takes the full series and logs the one it passed over
    for f in sorted((study / "arterial").glob("*.dcm"))[:10]:
        f.unlink()
    header = ingest_case(study, rs, tmp_path / "out2", case_id="C1", modality="CT", keep_uids=True)
    assert header["n_slices"] == 48 and header["series_uid"] == pydicom.dcmread(first).SeriesInstanceUID
    assert "chose series_uid" in caplog.text and "arterial phase" in caplog.text


def test_mr_multi_echo_series_lists_its_stacks(tmp_path):
    """Two echoes at the same positions in one series: an error naming each stack and its slice count."""
    image, rs = multimodal_series("STS_002", "MR")
    series = writable_copy(image, tmp_path / "mr")
    second = tmp_path / "echo2"
    second.mkdir()
    for f in sorted(series.glob("*.dcm")):
        ds = pydicom.dcmread(f)
        ds.EchoNumbers, ds.EchoTime, ds.SOPInstanceUID = 2, 80.0, generate_uid()
        ds.save_as(second / f"e2_{f.name}")
    edit_series(series, lambda ds: setattr(ds, "EchoNumbers", 1))
    for f in second.glob("*.dcm"):
        f.rename(series / f.name)
    with pytest.raises(CaseError, match=r"holds 2 image stacks at the same slice positions") as err:
        ingest_case(series, rs, tmp_path / "out", case_id="M1", modality="MR")
    assert "echo 1" in str(err.value) and "echo 2" in str(err.value) and "(35 slices)" in str(err.value)
