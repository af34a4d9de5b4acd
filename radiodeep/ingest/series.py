"""DICOM series discovery (pydicom headers) and selection of the one image series of a case.

Selection rule, applied when the manifest gives no ``series_uid``:

1. image series only (RTSTRUCT, SEG, RTPLAN, SR and other non-image objects are left out);
2. of the configured modality (``PET`` matches DICOM ``PT``), when one is configured;
3. not a localizer (ImageType ``LOCALIZER``) and, when an ``ORIGINAL`` series exists, not ``DERIVED``
   (so an MR ADC or subtraction map loses to its acquired series);
4. the series with the most slices (frames, for an enhanced multi-frame file); a tie is an error
   that lists the candidates. When several series remain (CT contrast phases, MR sequences),
   the choice is logged with the others' UIDs, so a different one can be named in ``series_uid``.

An enhanced or Legacy Converted Enhanced multi-frame file is one series of its own.

Example:
    >>> series = discover_series("patient/")  # doctest: +SKIP
    >>> chosen = select_series(series, modality="CT")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from radiodeep.errors import CaseError

log = logging.getLogger(__name__)

NON_IMAGE_MODALITIES = {"RTSTRUCT", "SEG", "RTPLAN", "RTDOSE", "RTRECORD", "SR", "PR", "KO", "REG", "DOC"}
_MODALITY_CODES = {"PET": "PT", "PT": "PT", "CT": "CT", "MR": "MR"}


@dataclass
class Series:
    """One DICOM series: its UID, modality, files and the header of its first file."""

    uid: str
    modality: str
    description: str
    image_type: tuple[str, ...]
    frame_of_reference: str
    files: list[Path] = field(default_factory=list)
    headers: list[pydicom.Dataset] = field(default_factory=list, repr=False)

    @property
    def multiframe(self) -> bool:
        return any(is_multiframe(ds) for ds in self.headers)

    @property
    def n_slices(self) -> int:
        """Files, or frames of a multi-frame file."""
        if self.multiframe:
            return sum(int(ds.get("NumberOfFrames") or 1) for ds in self.headers)
        return len(self.files)

    @property
    def header(self) -> pydicom.Dataset:
        """The first file's header; for a multi-frame file with the shared (then first frame's) functional group values at the top level."""
        return flat_header(self.headers[0]) if self.multiframe else self.headers[0]

    @property
    def is_image(self) -> bool:
        return self.modality not in NON_IMAGE_MODALITIES and has_geometry(self.headers[0])

    def summary(self) -> str:
        kind = "\\".join(self.image_type) or "?"
        files = f"multi-frame, {self.n_slices} frames" if self.multiframe else f"{len(self.files)} files"
        return f"series_uid {self.uid} ({self.modality}, {files}, '{self.description}', ImageType {kind})"


def is_multiframe(ds: pydicom.Dataset) -> bool:
    """An enhanced (or Legacy Converted Enhanced) multi-frame image: per-frame functional groups."""
    return "PerFrameFunctionalGroupsSequence" in ds or "SharedFunctionalGroupsSequence" in ds


def _group_items(ds: pydicom.Dataset):
    """Items of the shared, then the first frame's functional groups, nested items included (breadth first)."""
    queue = [g[0] for key in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence") if (g := ds.get(key))]
    while queue:
        item = queue.pop(0)
        yield item
        queue += [el.value[0] for el in item if el.VR == "SQ" and el.value and el.keyword != "RadiopharmaceuticalInformationSequence"]


def flat_header(ds: pydicom.Dataset) -> pydicom.Dataset:
    """A copy of a multi-frame header where attributes missing at the top level come from its functional groups.

    Enhanced and Legacy Converted Enhanced files keep e.g. PixelSpacing, KVP, the PET Units and
    the radiopharmaceutical in functional group items; the first value found wins.
    """
    flat = pydicom.Dataset()
    flat.update({el.tag: el for el in ds if el.keyword not in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence")})
    if hasattr(ds, "file_meta"):
        flat.file_meta = ds.file_meta
    for item in _group_items(ds):
        for el in item:
            if el.tag not in flat and not (el.VR == "SQ" and el.keyword.endswith("FunctionalGroupsSequence")):
                flat.add(el)
    return flat


def has_geometry(ds: pydicom.Dataset) -> bool:
    """Pixel spacing at the top level (classic) or in the shared/per-frame functional groups (enhanced)."""
    if "PixelSpacing" in ds:
        return True
    for key in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        groups = ds.get(key) or []
        if groups and "PixelMeasuresSequence" in groups[0]:
            return True
    return False


def read_header(path: Path, case_id: str | None = None) -> pydicom.Dataset | None:
    """The header of one file (no pixels); None for a file that is not DICOM."""
    try:
        return pydicom.dcmread(path, stop_before_pixels=True)
    except InvalidDicomError:
        return None
    except Exception as exc:  # truncated or corrupt header
        raise CaseError(case_id, path, f"cannot read DICOM header ({type(exc).__name__}: {exc}); the file is truncated or corrupt") from exc


def discover_series(folder: str | Path, case_id: str | None = None) -> dict[str, Series]:
    """Group every DICOM file below ``folder`` (recursively) by SeriesInstanceUID.

    Raises:
        CaseError: the folder is empty, holds no DICOM file, or a header cannot be read.
    """
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise CaseError(case_id, folder, "DICOM folder is empty")
    series: dict[str, Series] = {}
    skipped = 0
    for path in files:
        ds = read_header(path, case_id)
        if ds is None or "SeriesInstanceUID" not in ds:
            skipped += 1
            continue
        uid = str(ds.SeriesInstanceUID)
        if uid not in series:
            series[uid] = Series(
                uid=uid,
                modality=str(ds.get("Modality", "")),
                description=str(ds.get("SeriesDescription", "")),
                image_type=tuple(str(v).upper() for v in (ds.get("ImageType") or [])),
                frame_of_reference=str(ds.get("FrameOfReferenceUID", "")),
            )
        series[uid].files.append(path)
        series[uid].headers.append(ds)
    if not series:
        raise CaseError(case_id, folder, f"no DICOM file in folder ({skipped} other files)")
    if skipped:
        log.info("case %s: %d non-DICOM files ignored in %s", case_id, skipped, folder)
    return series


def select_series(
    series: dict[str, Series],
    series_uid: str | None = None,
    modality: str | None = None,
    case_id: str | None = None,
    folder: str | Path | None = None,
) -> Series:
    """Pick the image series of a case by ``series_uid``, else by the rule in the module docstring."""
    images = [s for s in series.values() if s.is_image]
    listing = "; ".join(s.summary() for s in series.values())
    if series_uid:
        if series_uid not in series or not series[series_uid].is_image:
            raise CaseError(case_id, folder, f"no image series with series_uid {series_uid}; series present: {listing}")
        return series[series_uid]
    if not images:
        raise CaseError(case_id, folder, f"no image series in folder; series present: {listing}")
    candidates = images
    if modality:
        code = _MODALITY_CODES.get(modality.upper(), modality.upper())
        candidates = [s for s in images if s.modality == code]
        if not candidates:
            raise CaseError(case_id, folder, f"no {code} image series; series present: {listing}")
    candidates = [s for s in candidates if "LOCALIZER" not in s.image_type] or candidates
    original = [s for s in candidates if "DERIVED" not in s.image_type]
    candidates = original or candidates
    most = max(s.n_slices for s in candidates)
    best = [s for s in candidates if s.n_slices == most]
    if len(best) > 1:
        raise CaseError(
            case_id,
            folder,
            f"{len(best)} image series fit the selection rule equally; name one in the manifest's series_uid column: "
            + "; ".join(s.summary() for s in best),
        )
    if len(candidates) > 1:
        others = "; ".join(s.summary() for s in candidates if s is not best[0])
        log.warning("case %s: chose %s (most slices) over %s; name another in the manifest's series_uid column", case_id, best[0].summary(), others)
    return best[0]
