"""Pixel data of DICOM files by transfer syntax: which decoder reads it, and a clear error when none can.

Uncompressed and deflated files are read by SimpleITK (GDCM) as before. Compressed files are
decoded by pydicom's pixel plugins, with the decoders radiodeep depends on: pylibjpeg with
pylibjpeg-libjpeg (JPEG baseline, extended, lossless), pylibjpeg-openjpeg (JPEG 2000 and
HTJ2K), pylibjpeg-rle (RLE), and pyjpegls (CharLS: JPEG-LS). All are binary wheels for Python
3.11 and decode the lossless syntaxes bit-exactly (``tests/ingest/test_transfer_syntax.py``);
pydicom also tells which plugin is missing, so an undecodable file names the package to install.

Example:
    >>> frame = decode_file(Path("slice.dcm"))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom import uid

from radiodeep.errors import CaseError

# read by SimpleITK/GDCM like any uncompressed series
NATIVE = {uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian, uid.ExplicitVRBigEndian, uid.DeflatedExplicitVRLittleEndian}
_LIBJPEG = "pylibjpeg and pylibjpeg-libjpeg"
_OPENJPEG = "pylibjpeg and pylibjpeg-openjpeg"
# transfer syntax -> the package(s) that decode it, for the error message
DECODER_PACKAGES = {
    uid.JPEGBaseline8Bit: _LIBJPEG,
    uid.JPEGExtended12Bit: _LIBJPEG,
    uid.JPEGLossless: _LIBJPEG,
    uid.JPEGLosslessSV1: _LIBJPEG,
    uid.JPEGLSLossless: "pyjpegls (or pylibjpeg and pylibjpeg-libjpeg)",
    uid.JPEGLSNearLossless: "pyjpegls (or pylibjpeg and pylibjpeg-libjpeg)",
    uid.JPEG2000Lossless: _OPENJPEG,
    uid.JPEG2000: _OPENJPEG,
    uid.HTJ2KLossless: _OPENJPEG,
    uid.HTJ2KLosslessRPCL: _OPENJPEG,
    uid.HTJ2K: _OPENJPEG,
    uid.RLELossless: "pylibjpeg and pylibjpeg-rle",
}
# first available wins; python-gdcm and Pillow are used only when nothing else is installed
PLUGIN_ORDER = ("pylibjpeg", "pyjpegls", "pydicom", "gdcm", "pillow")


def transfer_syntax(ds: pydicom.Dataset) -> uid.UID:
    """The file's transfer syntax (Explicit VR Little Endian when the meta header lacks it)."""
    meta = getattr(ds, "file_meta", None)
    return uid.UID(str(meta.get("TransferSyntaxUID", uid.ExplicitVRLittleEndian) if meta is not None else uid.ExplicitVRLittleEndian))


def syntax_name(ts: uid.UID) -> str:
    return f"{ts.name} ({ts})" if ts.name != str(ts) else str(ts)


def _available_plugins(ts: uid.UID) -> list[str]:
    from pydicom.pixels import get_decoder

    return list(get_decoder(ts).available_plugins)


def decoding_plugin(ts: uid.UID, case_id: str | None = None, path: str | Path | None = None) -> str:
    """The pydicom plugin that decodes ``ts``.

    Raises:
        CaseError: no decoder for the syntax is installed (naming the package that decodes it),
            or pydicom knows no decoder for it at all.
    """
    try:
        plugins = _available_plugins(ts)
    except NotImplementedError:
        raise CaseError(
            case_id, path,
            f"transfer syntax {syntax_name(ts)} is not supported: no pydicom decoder exists for it; "
            "convert the series to an uncompressed or lossless syntax (e.g. gdcmconv --raw, or dcmtk's dcmdjpeg/dcmdrle)",
        ) from None
    ranked = [p for p in PLUGIN_ORDER if p in plugins] + [p for p in plugins if p not in PLUGIN_ORDER]
    if not ranked:
        package = DECODER_PACKAGES.get(ts, "a pydicom pixel data plugin")
        raise CaseError(case_id, path, f"transfer syntax {syntax_name(ts)} cannot be decoded here: install {package} (pip install ...)")
    return ranked[0]


def decode_file(path: Path, ds: pydicom.Dataset, case_id: str | None = None) -> np.ndarray:
    """Stored values of a compressed file as an array (frames first for multi-frame files), no rescale."""
    from pydicom.pixels import pixel_array

    ts = transfer_syntax(ds)
    plugin = decoding_plugin(ts, case_id, path)
    try:
        return pixel_array(str(path), decoding_plugin=plugin)
    except Exception as exc:
        raise CaseError(case_id, path, f"cannot decode {syntax_name(ts)} pixel data with {plugin} ({type(exc).__name__}: {exc})") from exc


def rescale(stored: np.ndarray, ds: pydicom.Dataset) -> np.ndarray:
    """Stored values to modality units with RescaleSlope/Intercept, in float64 (as SimpleITK does)."""
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    return stored.astype(np.float64) * slope + intercept
