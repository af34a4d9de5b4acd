"""mask_from from a DICOM source: STS_002's CT series with its RTSTRUCT (GTV_Mass_CT, rasterised by
ingest) carried onto its PET DICOM series (same FrameOfReferenceUID), checked against the PET's own
RTSTRUCT (GTV_Mass_PET); a PET series moved into another patient frame is refused."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.ingest.cross_image import carry_ingested_mask, carry_mask, mask_stats, read_as_ingest
from radiodeep.ingest.stage import ingest_case
from radiodeep.io import write_json
from tests.ingest.conftest import STS, dice, edit_series, multimodal_series, writable_copy

PET = STS / "dicom" / "STS_002"  # the committed PET series of the same patient


@pytest.fixture(scope="module")
def ct_ingested(tmp_path_factory):
    """STS_002's CT ingested as the workflow does (RTSTRUCT rasterised on the CT grid)."""
    image, rs = multimodal_series("STS_002", "CT")
    out = tmp_path_factory.mktemp("carry") / "STS_002__CT"
    header = ingest_case(image, rs, out, case_id="STS_002__CT", modality="CT", suffix=".nii")
    return out / "mask.nii", header


def test_rtstruct_mask_carried_onto_a_dicom_series(ct_ingested, tmp_path):
    ct_mask, ct_header = ct_ingested
    assert ct_header["mask_format"] == "rtstruct" and ct_header["roi"] == "GTV_Mass_CT"
    carried = carry_mask(ct_mask, PET / "image", tmp_path / "carried.nii.gz", "STS_002", "PET", "CT", modality="PET")
    pet_grid = read_as_ingest(PET / "image", "STS_002", modality="PET")
    assert carried.GetSize() == pet_grid.GetSize() == (30, 27, 48) and carried.GetSpacing() == pet_grid.GetSpacing()
    # the target's ingest takes the carried label map on its own reading of the series (grid check 1e-3 mm)
    header = ingest_case(PET / "image", tmp_path / "carried.nii.gz", tmp_path / "pet", case_id="STS_002__PET",
                         modality="PET", suffix=".nii")
    own = ingest_case(PET / "image", PET / "mask" / "RS.dcm", tmp_path / "own", case_id="STS_002__PET", modality="PET",
                      suffix=".nii")
    assert header["roi_voxels"] == int(sitk.GetArrayViewFromImage(carried).sum())
    c_ct, v_ct = mask_stats(sitk.ReadImage(str(ct_mask)))  # 17090 CT voxels of 3.1 mm^3
    c_pet, v_pet = mask_stats(carried)  # on 5.5 x 5.5 x 3.3 mm PET voxels
    assert 0.97 < v_pet / v_ct < 1.03 and np.linalg.norm(c_pet - c_ct) < 1.0
    assert abs(header["roi_voxels"] - own["roi_voxels"]) <= 0.02 * own["roi_voxels"]
    own_mask = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "own" / "mask.nii")))
    assert dice(sitk.GetArrayFromImage(carried), own_mask) > 0.95


def test_dicom_target_in_another_patient_frame_is_refused(ct_ingested, tmp_path):
    moved = writable_copy(PET / "image", tmp_path / "PET_moved")

    def shift(ds):
        ds.ImagePositionPatient = [float(v) + 300.0 for v in ds.ImagePositionPatient]

    edit_series(moved, shift)
    with pytest.raises(CaseError) as err:
        carry_mask(ct_ingested[0], moved, tmp_path / "x.nii.gz", "STS_002", "PET", "CT", modality="PET")
    assert err.value.case_id == "STS_002" and err.value.path == str(moved)
    assert "image PET: the mask of image CT" in err.value.problem and "not in one patient coordinate system" in err.value.problem
    assert not (tmp_path / "x.nii.gz").exists()


def test_source_that_failed_ingest_is_named(tmp_path):
    record = tmp_path / "ingest_1.json"
    write_json({"stage": "ingest", "cases": {"STS_002__CT": {"status": "failed", "reason": "case STS_002__CT: mask is empty"}}},
               record)
    with pytest.raises(CaseError) as err:
        carry_ingested_mask("STS_002__CT", [record], PET / "image", tmp_path / "x.nii.gz", "STS_002", "PET", "CT",
                            ingest_dir=tmp_path)
    assert err.value.case_id == "STS_002" and "image PET: mask_from CT" in err.value.problem
    assert "failed in ingest: case STS_002__CT: mask is empty" in err.value.problem
