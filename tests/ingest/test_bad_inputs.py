"""Bad DICOM inputs: each gives a CaseError naming case, file and problem, and writes nothing."""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.uid import generate_uid

from radiodeep.errors import CaseError
from radiodeep.ingest import ingest_case
from tests.ingest.conftest import STS, edit_series, read


def fails(image, mask, out, match, **kw):
    with pytest.raises(CaseError, match=match) as err:
        ingest_case(image, mask, out, case_id="C1", **kw)
    assert "case C1" in str(err.value)
    assert not out.exists() or not any(out.iterdir()), "partial output left behind"
    return str(err.value)


def test_truncated_file(sts_case, tmp_path):
    f = sts_case / "image" / "000010.dcm"
    f.write_bytes(f.read_bytes()[:-500])
    msg = fails(sts_case / "image", None, tmp_path / "out", "truncated")
    assert "000010.dcm" in msg


def test_two_series_without_series_uid(sts_case, tmp_path):
    second = tmp_path / "second"
    shutil.copytree(sts_case / "image", second)
    uid = generate_uid()

    def new_series(ds):
        ds.SeriesInstanceUID, ds.SOPInstanceUID = uid, generate_uid()
        ds.SeriesDescription = "copy"

    edit_series(second, new_series)
    for f in second.glob("*.dcm"):
        f.rename(sts_case / "image" / f"b_{f.name}")
    original = pydicom.dcmread(sts_case / "image" / "000000.dcm").SeriesInstanceUID
    msg = fails(sts_case / "image", None, tmp_path / "out", "2 image series fit")
    assert uid in msg and original in msg and "series_uid" in msg
    header = ingest_case(sts_case / "image", sts_case / "mask" / "RS.dcm", tmp_path / "ok", case_id="C1", series_uid=uid, keep_uids=True)
    assert header["series_uid"] == uid and header["roi_voxels"] == 5095


def test_missing_slice(sts_case, tmp_path):
    (sts_case / "image" / "000030.dcm").unlink()
    msg = fails(sts_case / "image", None, tmp_path / "out", "missing slice")
    assert "3.270 mm is expected" in msg and "slice_spacing: resample" in msg


def test_non_uniform_spacing(sts_case, tmp_path):
    f = sts_case / "image" / "000020.dcm"
    ds = pydicom.dcmread(f)
    ds.ImagePositionPatient[2] = float(ds.ImagePositionPatient[2]) + 0.5
    ds.save_as(f)
    fails(sts_case / "image", None, tmp_path / "out", "non-uniform slice spacing: gaps from 2.7700 to 3.7700 mm")


def test_missing_slice_resampled_when_configured(sts_case, tmp_path):
    ds = pydicom.dcmread(sts_case / "image" / "000030.dcm")
    (sts_case / "image" / "000030.dcm").unlink()
    ingest_case(sts_case / "image", None, tmp_path / "out", case_id="C1", slice_spacing="resample")
    ours = read(tmp_path / "out" / "image.nii.gz")
    ref = read(STS / "nifti" / "STS_001" / "PET_image.nii.gz")
    assert ours.shape == ref.shape
    k = int(round((float(ds.ImagePositionPatient[2]) - sitk.ReadImage(str(tmp_path / "out" / "image.nii.gz")).GetOrigin()[2]) / 3.27))
    keep = np.ones(len(ref), bool)
    keep[k] = False
    assert np.abs(ours[keep] - ref[keep]).max() < 1e-3
    assert np.allclose(ours[k], (ref[k - 1] + ref[k + 1]) / 2, atol=1e-3)  # linear between neighbours


def test_unknown_roi_lists_rois_present(sts_case, tmp_path):
    msg = fails(sts_case / "image", sts_case / "mask" / "RS.dcm", tmp_path / "out", "ROI 'Liver' not found", roi="Liver")
    assert "ROIs present: 'GTV_Mass_PET'" in msg and "RS.dcm" in msg


def test_rtstruct_from_another_series(sts_case, tmp_path):
    rs = pydicom.dcmread(sts_case / "mask" / "RS.dcm")
    other = generate_uid()
    rs.StructureSetROISequence[0].ReferencedFrameOfReferenceUID = other
    rs.save_as(sts_case / "mask" / "RS.dcm")
    msg = fails(sts_case / "image", sts_case / "mask" / "RS.dcm", tmp_path / "out", "FrameOfReferenceUID")
    assert other in msg and "another series" in msg
    del rs.StructureSetROISequence[0].ReferencedFrameOfReferenceUID  # only the structure set's frame
    rs.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID = other
    rs.save_as(sts_case / "mask" / "RS.dcm")
    fails(sts_case / "image", sts_case / "mask" / "RS.dcm", tmp_path / "out", f"FrameOfReferenceUID {other}")


def test_mask_on_another_grid(sts_case, tmp_path):
    mask = sitk.ReadImage(str(STS / "nifti" / "STS_001" / "PET_mask.nii.gz"))
    mask.SetOrigin(tuple(o + 2.0 for o in mask.GetOrigin()))
    sitk.WriteImage(mask, str(tmp_path / "shifted.nii.gz"))
    msg = fails(sts_case / "image", tmp_path / "shifted.nii.gz", tmp_path / "out", "mask grid differs")
    assert "-19.09375" in msg and "-21.09375" in msg  # both origins printed


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    fails(tmp_path / "empty", None, tmp_path / "out", "DICOM folder is empty")
