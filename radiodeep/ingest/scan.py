"""Scan a DICOM tree (headers only) into a draft manifest: one row per image series.

Each image series is paired with the RTSTRUCT/SEG that references it (ReferencedSeriesInstanceUID,
else the same FrameOfReferenceUID in the same study). Patients get pseudonymous ids (salted
hash of PatientID), so the draft manifest, and every table built from it, carries no DICOM
PatientID; an optional outcome table keyed by PatientID fills the ``label`` column.

An enhanced or Legacy Converted Enhanced multi-frame file counts as a series (its frames as
slices); compressed series count when an installed decoder reads their transfer syntax. What is
left out is listed with the reason (``<manifest>_skipped.csv``): files that are not DICOM,
non-image objects, images without pixel spacing (secondary captures), localizers, single
slices, series in a transfer syntax nothing installed decodes, and masks that reference no
series found.

Example:
    >>> draft = scan_tree("archive/", "manifest.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pydicom

from radiodeep.errors import CaseError, RadiodeepError
from radiodeep.ingest import pixels
from radiodeep.ingest.header import hash_uid
from radiodeep.ingest.series import NON_IMAGE_MODALITIES, has_geometry, is_multiframe
from radiodeep.io import write_table


def _referenced_series(ds: pydicom.Dataset) -> set[str]:
    refs = {
        str(se.SeriesInstanceUID)
        for fr in ds.get("ReferencedFrameOfReferenceSequence", [])
        for st in fr.get("RTReferencedStudySequence", [])
        for se in st.get("RTReferencedSeriesSequence", [])
    }
    refs |= {str(se.SeriesInstanceUID) for se in ds.get("ReferencedSeriesSequence", []) if "SeriesInstanceUID" in se}
    return refs


def _frames(ds: pydicom.Dataset) -> set[str]:
    frames = {str(fr.FrameOfReferenceUID) for fr in ds.get("ReferencedFrameOfReferenceSequence", []) if "FrameOfReferenceUID" in fr}
    if ds.get("FrameOfReferenceUID"):
        frames.add(str(ds.FrameOfReferenceUID))
    return frames


def _series_problem(entry: dict) -> str | None:
    """Why an image series cannot become a case, or None."""
    if "LOCALIZER" in entry["image_type"]:
        return "localizer (ImageType LOCALIZER)"
    if entry["n"] < 2:
        return f"{entry['n']} slice: not a 3D volume"
    try:
        for ts in entry["syntaxes"] - pixels.NATIVE:
            pixels.decoding_plugin(ts)
    except CaseError as exc:
        return exc.problem
    return None


def scan_tree(root: str | Path, progress: Callable[[list[Path]], Iterable[Path]] = iter) -> tuple[list[dict], list[dict], list[dict]]:
    """Image series, mask objects and skipped files/series found below ``root`` (headers only).

    Each skipped entry is ``{"path": ..., "reason": ...}``.
    """
    root = Path(root)
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    series: dict[str, dict] = {}
    masks: list[dict] = []
    skipped: list[dict] = []
    for path in progress(files):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception as exc:
            skipped.append({"path": path, "reason": f"not a readable DICOM file ({type(exc).__name__})"})
            continue
        if "SeriesInstanceUID" not in ds:
            skipped.append({"path": path, "reason": "DICOM without SeriesInstanceUID (e.g. DICOMDIR)"})
            continue
        modality = str(ds.get("Modality", ""))
        common = {"patient": str(ds.get("PatientID", "")), "study": str(ds.get("StudyInstanceUID", "")), "modality": modality}
        if modality in ("RTSTRUCT", "SEG"):
            rois = [str(r.ROIName) for r in ds.get("StructureSetROISequence", [])] or [str(s.SegmentLabel) for s in ds.get("SegmentSequence", [])]
            masks.append({**common, "file": path, "rois": rois, "series": _referenced_series(ds), "frames": _frames(ds)})
        elif modality in NON_IMAGE_MODALITIES:
            skipped.append({"path": path, "reason": f"non-image object (Modality {modality})"})
        elif not has_geometry(ds):
            skipped.append({"path": path, "reason": f"image without PixelSpacing (Modality {modality!r}, e.g. a secondary capture)"})
        else:
            uid = str(ds.SeriesInstanceUID)
            entry = series.setdefault(uid, {**common, "uid": uid, "dirs": set(), "n": 0, "frame": str(ds.get("FrameOfReferenceUID", "")),
                                            "number": int(ds.get("SeriesNumber") or 0), "syntaxes": set(), "multiframe": False,
                                            "image_type": {str(v).upper() for v in (ds.get("ImageType") or [])}})
            entry["dirs"].add(path.parent)
            entry["n"] += int(ds.get("NumberOfFrames") or 1) if is_multiframe(ds) else 1
            entry["multiframe"] |= is_multiframe(ds)
            entry["syntaxes"].add(pixels.transfer_syntax(ds))
    kept = []
    for entry in series.values():
        problem = _series_problem(entry)
        if problem:
            folder = os.path.commonpath([str(d) for d in entry["dirs"]])
            skipped.append({"path": Path(folder), "reason": f"series {entry['uid']} ({entry['modality']}): {problem}"})
        else:
            kept.append(entry)
    return kept, masks, skipped


def draft_manifest(
    root: str | Path,
    out: str | Path,
    salt: str = "",
    outcome: str | Path | None = None,
    outcome_column: str | None = None,
    progress: Callable[[list[Path]], Iterable[Path]] = iter,
) -> pd.DataFrame:
    """Write the draft manifest CSV ``out`` for the DICOM tree ``root`` (paths relative to ``out``).

    Columns: case_id, patient_id (pseudonyms), image (series folder), mask, roi (when the
    mask has one ROI), roi_candidates, series_uid, modality, n_slices, label.

    Args:
        outcome: optional CSV whose first column is the DICOM PatientID; ``outcome_column``
            (default: its second column) becomes ``label``.
    """
    images, masks, skipped = scan_tree(root, progress)
    if not images:
        reasons = "; ".join(sorted({str(s["reason"]) for s in skipped})[:5])
        raise RadiodeepError(f"no DICOM image series below {root}" + (f" ({len(skipped)} files skipped: {reasons})" if skipped else ""))
    labels: dict[str, str] = {}
    if outcome:
        table = pd.read_csv(outcome, dtype=str, keep_default_na=False)
        column = outcome_column or table.columns[1]
        labels = dict(zip(table.iloc[:, 0], table[column], strict=True))
    base = Path(out).resolve().parent
    rows = []
    for s in sorted(images, key=lambda s: (s["patient"], s["study"], s["number"], s["uid"])):
        linked = [m for m in masks if s["uid"] in m["series"]] or [
            m for m in masks if s["frame"] in m["frames"] and m["study"] == s["study"]
        ]
        mask = sorted(linked, key=lambda m: str(m["file"]))[0] if linked else None
        folder = os.path.commonpath([str(d) for d in s["dirs"]])
        rows.append({
            "patient_id": "P" + hash_uid(s["patient"], salt)[:10],
            "image": os.path.relpath(folder, base),
            "mask": os.path.relpath(mask["file"], base) if mask else "",
            "roi": mask["rois"][0] if mask and len(mask["rois"]) == 1 else "",
            "roi_candidates": "|".join(mask["rois"]) if mask else "",
            "series_uid": s["uid"],
            "modality": s["modality"],
            "n_slices": s["n"],
            "label": labels.get(s["patient"], ""),
        })
    df = pd.DataFrame(rows)
    counts = df.groupby("patient_id").cumcount() + 1
    several = df["patient_id"].map(df["patient_id"].value_counts()) > 1
    df.insert(0, "case_id", df["patient_id"].where(~several, df["patient_id"] + "_s" + counts.astype(str)))
    used = {str(m["file"]) for m in masks if any(s["uid"] in m["series"] or s["frame"] in m["frames"] for s in images)}
    skipped += [{"path": m["file"], "reason": f"{m['modality']} references no image series found"} for m in masks if str(m["file"]) not in used]
    table = pd.DataFrame([{"path": os.path.relpath(s["path"], base), "reason": s["reason"]} for s in skipped], columns=["path", "reason"])
    write_table(table, skipped_path(out))
    write_table(df, out)
    df.attrs["skipped"] = table
    return df


def skipped_path(out: str | Path) -> Path:
    """Where the list of skipped files goes: beside the manifest, ``<stem>_skipped.csv``."""
    out = Path(out)
    return out.with_name(out.name.removesuffix(".csv") + "_skipped.csv")
