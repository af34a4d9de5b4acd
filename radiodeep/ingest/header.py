"""The de-identified acquisition header of a case and the cohort QC table built from them.

Only acquisition fields a statistician needs are kept (modality, scanner, kernel, spacing,
kVp, units, ...). Names, IDs, birth dates, addresses and accession numbers are never read.
UIDs appear only as salted SHA-256 hashes unless ``keep_uids`` is set, and a free-text field
that contains the patient's name or ID is replaced by ``[removed]``.

Example:
    >>> acquisition_fields(ds, salt="study-salt")["modality"]  # doctest: +SKIP
    'CT'
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pydicom

from radiodeep.io import read_json, write_table

# header key -> DICOM keyword (top level, or in the first RadiopharmaceuticalInformationSequence item)
FIELDS = {
    "modality": "Modality",
    "manufacturer": "Manufacturer",
    "manufacturer_model": "ManufacturerModelName",
    "convolution_kernel": "ConvolutionKernel",
    "slice_thickness": "SliceThickness",
    "pixel_spacing": "PixelSpacing",
    "kvp": "KVP",
    "tube_current_ma": "XRayTubeCurrent",
    "exposure_mas": "Exposure",
    "series_description": "SeriesDescription",
    "body_part": "BodyPartExamined",
    "image_type": "ImageType",
    "contrast_agent": "ContrastBolusAgent",
    "magnetic_field_strength": "MagneticFieldStrength",
    "repetition_time": "RepetitionTime",
    "echo_time": "EchoTime",
    "pet_units": "Units",
    "decay_correction": "DecayCorrection",
    "reconstruction_method": "ReconstructionMethod",
    "software_versions": "SoftwareVersions",
}
RADIOPHARMACEUTICAL = {"radiopharmaceutical": "Radiopharmaceutical", "radionuclide_half_life_s": "RadionuclideHalfLife"}
UIDS = {"series_uid": "SeriesInstanceUID", "study_uid": "StudyInstanceUID", "frame_of_reference_uid": "FrameOfReferenceUID"}
IDENTIFYING = ("PatientName", "PatientID", "OtherPatientIDs", "AccessionNumber", "PatientBirthDate", "PatientAddress")


def hash_uid(uid: str, salt: str) -> str:
    """Salted SHA-256 of a UID (first 16 hex digits): stable within a study, not reversible."""
    return hashlib.sha256(f"{salt}:{uid}".encode()).hexdigest()[:16]


def _plain(value):
    if value is None or value == "":
        return None
    if isinstance(value, pydicom.multival.MultiValue | list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, pydicom.valuerep.DSfloat | pydicom.valuerep.IS | float | int):
        return float(value) if isinstance(value, pydicom.valuerep.DSfloat | float) else int(value)
    return str(value)


def identity_tokens(ds: pydicom.Dataset) -> list[str]:
    """Name parts and IDs of the patient (3+ characters), to redact from free text."""
    tokens: set[str] = set()
    for kw in IDENTIFYING:
        text = str(ds.get(kw, "") or "")
        tokens.add(text.strip())
        tokens.update(t for t in re.split(r"[\^\s,]+", text) if t)
    return sorted((t for t in tokens if len(t) >= 3), key=len, reverse=True)


def _redact(value, tokens: list[str]):
    if isinstance(value, list):
        return [_redact(v, tokens) for v in value]
    if isinstance(value, str) and any(t.lower() in value.lower() for t in tokens):
        return "[removed]"
    return value


def acquisition_fields(ds: pydicom.Dataset, salt: str = "", keep_uids: bool = False) -> dict:
    """De-identified acquisition fields of one series header (see the module docstring)."""
    out = {key: _plain(ds.get(kw)) for key, kw in FIELDS.items()}
    seq = ds.get("RadiopharmaceuticalInformationSequence")
    item = seq[0] if seq else pydicom.Dataset()
    out.update({key: _plain(item.get(kw)) for key, kw in RADIOPHARMACEUTICAL.items()})
    tokens = identity_tokens(ds)
    out = {k: _redact(v, tokens) for k, v in out.items()}
    for key, kw in UIDS.items():
        uid = str(ds.get(kw, "") or "")
        out[key if keep_uids else f"{key}_hash"] = (uid if keep_uids else hash_uid(uid, salt)) if uid else None
    return out


def write_qc_table(header_paths: list[str | Path], out: str | Path) -> pd.DataFrame:
    """One row per case from the ``header.json`` files; lists become ``a x b`` text."""
    rows = []
    for p in header_paths:
        h = read_json(p)
        rows.append({k: " x ".join(str(x) for x in v) if isinstance(v, list) else v for k, v in h.items()})
    df = pd.DataFrame(rows)
    first = [c for c in ("case_id", "source_format", "modality", "units", "roi", "roi_voxels", "frame_of_reference") if c in df.columns]
    df = df[first + sorted(c for c in df.columns if c not in first)]
    write_table(df, out)
    return df
