"""Transcode a DICOM series to another transfer syntax, as archives deliver it: pydicom's encoders, else GDCM."""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom import uid

# no pydicom encoder for these: python-gdcm's ImageChangeTransferSyntax writes them
GDCM_ONLY = {uid.JPEGLossless: "JPEGLosslessProcess14", uid.JPEGLosslessSV1: "JPEGLosslessProcess14_1"}
LOSSLESS = [uid.JPEGLossless, uid.JPEGLosslessSV1, uid.JPEGLSLossless, uid.JPEG2000Lossless, uid.RLELossless,
            uid.DeflatedExplicitVRLittleEndian]


def _gdcm(src: Path, dst: Path, syntax: uid.UID) -> None:
    import gdcm

    reader = gdcm.ImageReader()
    reader.SetFileName(str(src))
    assert reader.Read(), src
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(getattr(gdcm.TransferSyntax, GDCM_ONLY[syntax])))
    change.SetInput(reader.GetImage())
    assert change.Change(), f"GDCM cannot encode {syntax.name}"
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(dst))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    assert writer.Write(), dst


def transcode_file(src: Path, dst: Path, syntax: uid.UID) -> None:
    if syntax in GDCM_ONLY:
        return _gdcm(src, dst, syntax)
    ds = pydicom.dcmread(src)
    if syntax == uid.DeflatedExplicitVRLittleEndian:  # the dataset is deflated, the pixels stay native
        ds.file_meta.TransferSyntaxUID = syntax
        ds.save_as(dst, implicit_vr=False, little_endian=True)
    else:
        ds.compress(syntax)
        ds.save_as(dst)
    return None


def transcode_series(src: Path, dst: Path, syntax: uid.UID) -> Path:
    """Every ``*.dcm`` of ``src`` in ``syntax`` under ``dst`` (same names and UIDs)."""
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.glob("*.dcm")):
        transcode_file(f, dst / f.name, syntax)
    return dst
