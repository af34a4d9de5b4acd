"""DICOM ingestion against the IBSI team's own NIfTI conversions of the same data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk

from radiodeep.ingest import ingest_case
from tests.ingest.conftest import CT, STS, dice, read


def test_ct_phantom_equals_ibsi_nifti(tmp_path):
    header = ingest_case(CT / "dicom" / "image", CT / "dicom" / "mask" / "DCM_RS_00060.dcm", tmp_path,
                         case_id="PAT1", roi="GTV-1", modality="CT")
    image, ref = read(tmp_path / "image.nii.gz"), read(CT / "nifti" / "image" / "phantom.nii.gz")
    assert image.shape == ref.shape == (60, 201, 204)
    assert np.array_equal(image, ref)  # HU, voxel for voxel
    assert image.min() == -1000 and header["units"] == "HU" and header["modality"] == "CT"
    mask, ref_mask = read(tmp_path / "mask.nii.gz"), read(CT / "nifti" / "mask" / "mask.nii.gz")
    assert dice(mask, ref_mask) >= 0.99
    assert abs(int(mask.sum()) - int(ref_mask.sum())) <= 0.01 * ref_mask.sum()
    assert header["roi"] == "GTV-1" and header["roi_voxels"] == int(mask.sum())


@pytest.mark.parametrize("case", [f"STS_{i:03d}" for i in range(1, 11)])
def test_sts_pet_equals_ibsi_nifti(tmp_path, case):
    header = ingest_case(STS / "dicom" / case / "image", STS / "dicom" / case / "mask" / "RS.dcm", tmp_path,
                         case_id=case, roi="GTV_Mass_PET", modality="PET")
    ours, ref = sitk.ReadImage(str(tmp_path / "image.nii.gz")), sitk.ReadImage(str(STS / "nifti" / case / "PET_image.nii.gz"))
    assert np.abs(sitk.GetArrayFromImage(ours) - sitk.GetArrayFromImage(ref)).max() < 1e-3  # SUV
    assert np.allclose(ours.GetSpacing(), ref.GetSpacing(), atol=1e-3)
    assert np.allclose(ours.GetOrigin(), ref.GetOrigin(), atol=1e-3)
    assert np.allclose(ours.GetDirection(), ref.GetDirection(), atol=1e-6)
    d = dice(read(tmp_path / "mask.nii.gz"), read(STS / "nifti" / case / "PET_mask.nii.gz"))
    assert d >= 0.98, f"{case}: Dice {d:.4f}"
    assert header["units"] == "SUVbw" and header["pet_units"] == "GML"
    saved = json.loads((tmp_path / "header.json").read_text())
    assert "series_uid" not in saved and len(saved["series_uid_hash"]) == 16
