"""Enhanced multi-frame: Legacy Converted Enhanced CT/MR/PET built with highdicom from shared series read as the same volume."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom import uid
from pydicom.uid import generate_uid

from radiodeep.errors import CaseError
from radiodeep.ingest import ingest_case
from tests.ingest.conftest import STS, multimodal_series, read, read_series

EXPLICIT = uid.ExplicitVRLittleEndian


def legacy_converted(src, dest, modality: str, syntax: str = EXPLICIT, edit=None):
    """One Legacy Converted Enhanced file in ``dest`` from the classic series in ``src`` (highdicom)."""
    import highdicom as hd

    cls = {"CT": hd.legacy.LegacyConvertedEnhancedCTImage, "MR": hd.legacy.LegacyConvertedEnhancedMRImage,
           "PET": hd.legacy.LegacyConvertedEnhancedPETImage}[modality]
    image = cls([pydicom.dcmread(f) for f in sorted(src.glob("*.dcm"))], generate_uid(), 901, generate_uid(), 1,
                transfer_syntax_uid=syntax)
    if edit:
        edit(image)
    dest.mkdir(parents=True)
    image.save_as(dest / "enhanced.dcm")
    return dest


def _source(modality):
    return (STS / "dicom" / "STS_001" / "image") if modality == "PET" else multimodal_series("STS_002", modality)[0]


@pytest.mark.parametrize("modality, syntax", [("CT", EXPLICIT), ("MR", EXPLICIT), ("PET", EXPLICIT), ("CT", uid.RLELossless)],
                         ids=["CT", "MR", "PET", "CT-RLE"])
def test_legacy_converted_enhanced_is_the_classic_volume(tmp_path, modality, syntax):
    src = _source(modality)
    folder = legacy_converted(src, tmp_path / "mf", modality, syntax)
    plain, plain_info = read_series(src, image=True)
    ours, info = read_series(folder, image=True)
    assert info["multiframe"] and info["n_slices"] == plain.GetSize()[2] and info["units"] == plain_info["units"]
    assert info["transfer_syntax"].endswith(f"({syntax})")
    assert np.array_equal(sitk.GetArrayFromImage(ours), sitk.GetArrayFromImage(plain))
    assert np.allclose(ours.GetOrigin(), plain.GetOrigin(), atol=1e-4)
    assert np.allclose(ours.GetSpacing(), plain.GetSpacing(), atol=1e-5)
    assert np.allclose(ours.GetDirection(), plain.GetDirection(), atol=1e-6)


def test_enhanced_ct_with_its_rtstruct_as_the_classic_case(ct_classic, tmp_path):
    image, rs, classic = ct_classic
    folder = legacy_converted(image, tmp_path / "mf", "CT")
    header = ingest_case(folder, rs, tmp_path / "out", case_id="STS_002", modality="CT")
    ingest_case(image, rs, tmp_path / "plain", case_id="STS_002", modality="CT")
    assert header["multiframe"] and header["n_slices"] == 48 and header["frame_of_reference"] == "match"
    assert np.array_equal(read(tmp_path / "out" / "image.nii.gz"), classic)
    assert np.array_equal(read(tmp_path / "out" / "mask.nii.gz"), read(tmp_path / "plain" / "mask.nii.gz"))


def test_frame_off_the_grid_is_refused(ct_classic, tmp_path):
    """Frame 10 moved by half a slice: the per-frame geometry check refuses the file."""
    def shift(image):
        pos = image.PerFrameFunctionalGroupsSequence[9].PlanePositionSequence[0]
        pos.ImagePositionPatient = [pos.ImagePositionPatient[0], pos.ImagePositionPatient[1], float(pos.ImagePositionPatient[2]) + 1.6]

    folder = legacy_converted(ct_classic[0], tmp_path / "mf", "CT", edit=shift)
    with pytest.raises(CaseError, match="multi-frame frames do not form one regular 3D volume") as err:
        ingest_case(folder, ct_classic[1], tmp_path / "out", case_id="STS_002", modality="CT")
    assert "enhanced.dcm" in str(err.value)
