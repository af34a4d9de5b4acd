"""An STS_046-like case: the RTSTRUCT names another FrameOfReferenceUID although its contours lie on the image."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.uid import generate_uid

from radiodeep.errors import CaseError
from radiodeep.ingest import ingest_case
from radiodeep.ingest.header import write_qc_table
from tests.ingest.conftest import copy_case, read

ARGS = {"case_id": "STS_001", "roi": "GTV_Mass_PET", "modality": "PET"}


def _other_frame(rs_path, shift_mm=(0.0, 0.0, 0.0)):
    """Give the RTSTRUCT a new FrameOfReferenceUID everywhere it names one (and optionally move its contours)."""
    ds = pydicom.dcmread(rs_path)
    uid = generate_uid()
    for fr in ds.ReferencedFrameOfReferenceSequence:
        fr.FrameOfReferenceUID = uid
    for roi in ds.StructureSetROISequence:
        roi.ReferencedFrameOfReferenceUID = uid
    for rc in ds.ROIContourSequence:
        for c in rc.ContourSequence:
            c.ContourData = (np.asarray(c.ContourData, float).reshape(-1, 3) + shift_mm).ravel().tolist()
    ds.save_as(rs_path)
    return ds


@pytest.fixture(scope="module")
def mismatched(tmp_path_factory):
    """STS_001 (read-only use), a copy of its RTSTRUCT in another frame of reference, and the reference ingest's mask."""
    tmp = tmp_path_factory.mktemp("frame")
    case = copy_case(tmp / "in")
    rs = case / "mask" / "RS.dcm"
    ingest_case(case / "image", rs, tmp / "ref", **ARGS)
    other = tmp / "RS_other_frame.dcm"
    other.write_bytes(rs.read_bytes())
    _other_frame(other)
    return case, other, read(tmp / "ref" / "mask.nii.gz"), tmp / "ref" / "image.nii.gz"


def test_refused_by_default_with_the_way_through(mismatched, tmp_path):
    case, rs, _, _ = mismatched
    with pytest.raises(CaseError, match="it was drawn on another series") as err:
        ingest_case(case / "image", rs, tmp_path / "out", **ARGS)
    assert "ingest.frame_of_reference: trust_geometry" in str(err.value) and "STS_001" in str(err.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("how", [{"frame_of_reference": "trust_geometry"}, {"trust_geometry_cases": ["STS_001"]}])
def test_trust_geometry_ingests_warns_and_flags(mismatched, tmp_path, caplog, how):
    case, rs, ref_mask, _ = mismatched
    with caplog.at_level(logging.WARNING):
        header = ingest_case(case / "image", rs, tmp_path / "out", **ARGS, **how)
    assert np.array_equal(read(tmp_path / "out" / "mask.nii.gz"), ref_mask)  # same voxels as the matching RTSTRUCT
    assert header["frame_of_reference"] == "mismatch"
    assert "rasterised anyway" in caplog.text and "STS_001" in caplog.text
    write_qc_table([tmp_path / "out" / "header.json"], tmp_path / "qc.csv")
    qc = pd.read_csv(tmp_path / "qc.csv")
    assert qc.loc[0, "frame_of_reference"] == "mismatch"


def test_other_cases_stay_checked(mismatched, tmp_path):
    case, rs, _, _ = mismatched
    with pytest.raises(CaseError, match="drawn on another series"):
        ingest_case(case / "image", rs, tmp_path / "out", **ARGS, trust_geometry_cases=["STS_999"])


def test_contours_outside_the_volume_stay_an_error_naming_how_far(mismatched, tmp_path):
    case, other, _, ref_image = mismatched
    rs = tmp_path / "RS_moved.dcm"
    rs.write_bytes(other.read_bytes())
    ds = _other_frame(rs, shift_mm=(0.0, 0.0, 80.0))
    image = sitk.ReadImage(str(ref_image))
    top_z = max(image.TransformIndexToPhysicalPoint((0, 0, image.GetSize()[2] - 1))[2],
                image.TransformIndexToPhysicalPoint((0, 0, 0))[2]) + image.GetSpacing()[2] / 2
    highest = max(max(np.asarray(c.ContourData, float).reshape(-1, 3)[:, 2]) for rc in ds.ROIContourSequence for c in rc.ContourSequence)
    assert highest > top_z
    with pytest.raises(CaseError, match=rf"contour points lie up to {highest - top_z:.1f} mm outside the image volume"):
        ingest_case(case / "image", rs, tmp_path / "out", **ARGS, frame_of_reference="trust_geometry")


def test_seg_in_another_frame_refused_then_trusted(mismatched, tmp_path):
    from radiodeep.ingest.seg import export_seg

    case, _, ref_mask, ref_image = mismatched
    seg = tmp_path / "seg.dcm"
    export_seg(case / "image", ref_image.with_name("mask.nii.gz"), seg, "GTV")
    ds = pydicom.dcmread(seg)
    ds.FrameOfReferenceUID = generate_uid()
    ds.save_as(seg)
    with pytest.raises(CaseError, match="SEG FrameOfReferenceUID .* differs from the image's .*trust_geometry"):
        ingest_case(case / "image", seg, tmp_path / "out", **ARGS)
    header = ingest_case(case / "image", seg, tmp_path / "out", **{**ARGS, "roi": "GTV"}, frame_of_reference="trust_geometry")
    assert header["frame_of_reference"] == "mismatch" and header["mask_format"] == "seg"
    assert np.array_equal(read(tmp_path / "out" / "mask.nii.gz"), ref_mask)
