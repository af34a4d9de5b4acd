"""Compressed transfer syntaxes: the shared CT series transcoded to each lossless syntax gives identical voxels."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom import uid

from radiodeep.errors import CaseError
from radiodeep.ingest import ingest_case, pixels
from tests.ingest.conftest import STS, read_series
from tests.ingest.transcode import LOSSLESS, transcode_series


@pytest.mark.parametrize("syntax", LOSSLESS, ids=lambda s: s.keyword)
def test_lossless_syntax_gives_identical_voxels(ct_classic, ct_j2k, tmp_path, syntax):
    image, rs, classic = ct_classic
    folder = ct_j2k if syntax == uid.JPEG2000Lossless else transcode_series(image, tmp_path / "image", syntax)
    assert {pydicom.dcmread(f, stop_before_pixels=True).file_meta.TransferSyntaxUID for f in folder.iterdir()} == {syntax}
    ours, info = read_series(folder)
    assert info["transfer_syntax"] == pixels.syntax_name(syntax) and info["units"] == "HU"
    assert ours.shape == classic.shape == (48, 143, 161) and np.array_equal(ours, classic)
    assert classic.min() < -900 < 100 < classic.max()  # HU: rescaled, signed values survived the codec


def test_pet_per_slice_rescale_through_the_decoder(tmp_path):
    """STS PET slices each carry their own RescaleSlope: RLE decoding + rescale equals SimpleITK's read."""
    src = STS / "dicom" / "STS_001"
    slopes = {str(pydicom.dcmread(f, stop_before_pixels=True).RescaleSlope) for f in (src / "image").glob("*.dcm")}
    assert len(slopes) > 1
    plain, _ = read_series(src / "image")
    ours, info = read_series(transcode_series(src / "image", tmp_path / "rle", uid.RLELossless))
    assert info["units"] == "SUVbw" and np.array_equal(ours, plain)


def test_missing_decoder_names_the_syntax_and_the_package(ct_classic, ct_j2k, tmp_path, monkeypatch):
    _, rs, _ = ct_classic
    folder = ct_j2k
    monkeypatch.setattr(pixels, "_available_plugins", lambda ts: [])  # as on a machine without pylibjpeg-openjpeg
    with pytest.raises(CaseError, match=r"transfer syntax JPEG 2000 Image Compression \(Lossless Only\) \(1\.2\.840\.10008\.1\.2\.4\.90\) "
                                        r"cannot be decoded here: install pylibjpeg and pylibjpeg-openjpeg"):
        ingest_case(folder, rs, tmp_path / "out", case_id="STS_002", modality="CT")


def test_syntax_without_any_decoder_is_named(ct_classic, ct_j2k, tmp_path):
    _, rs, _ = ct_classic
    folder = tmp_path / "image"
    folder.mkdir()
    for f in ct_j2k.iterdir():  # relabel as MPEG-2 video, which no pydicom plugin decodes
        ds = pydicom.dcmread(f)
        ds.file_meta.TransferSyntaxUID = uid.MPEG2MPML
        ds.save_as(folder / f.name)
    with pytest.raises(CaseError, match=r"transfer syntax MPEG2 Main Profile / Main Level .* is not supported: no pydicom decoder") as err:
        ingest_case(folder, rs, tmp_path / "out", case_id="STS_002", modality="CT")
    assert "case STS_002" in str(err.value) and "gdcmconv --raw" in str(err.value)
