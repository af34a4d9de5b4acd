"""Scan a DICOM tree (headers only) into a draft manifest: one row per image series.

Each image series is paired with the RTSTRUCT/SEG that references it (ReferencedSeriesInstanceUID,
else the same FrameOfReferenceUID in the same study). Patients get pseudonymous ids (salted
hash of PatientID), so the draft manifest, and every table built from it, carries no DICOM
PatientID; an optional outcome table keyed by PatientID fills the ``label`` column.

Example:
    >>> draft = scan_tree("archive/", "manifest.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd
import pydicom

from radiodeep.errors import RadiodeepError
from radiodeep.ingest.header import hash_uid
from radiodeep.ingest.series import NON_IMAGE_MODALITIES
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


def scan_tree(root: str | Path, progress: Callable[[list[Path]], Iterable[Path]] = iter) -> tuple[list[dict], list[dict]]:
    """Image series and mask objects found below ``root`` (one dict each, headers only)."""
    root = Path(root)
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    series: dict[str, dict] = {}
    masks: list[dict] = []
    for path in progress(files):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            continue
        if "SeriesInstanceUID" not in ds:
            continue
        modality = str(ds.get("Modality", ""))
        common = {"patient": str(ds.get("PatientID", "")), "study": str(ds.get("StudyInstanceUID", "")), "modality": modality}
        if modality in ("RTSTRUCT", "SEG"):
            rois = [str(r.ROIName) for r in ds.get("StructureSetROISequence", [])] or [str(s.SegmentLabel) for s in ds.get("SegmentSequence", [])]
            masks.append({**common, "file": path, "rois": rois, "series": _referenced_series(ds), "frames": _frames(ds)})
        elif modality not in NON_IMAGE_MODALITIES and "PixelSpacing" in ds:
            uid = str(ds.SeriesInstanceUID)
            entry = series.setdefault(uid, {**common, "uid": uid, "dirs": set(), "n": 0, "frame": str(ds.get("FrameOfReferenceUID", "")),
                                            "number": int(ds.get("SeriesNumber") or 0)})
            entry["dirs"].add(path.parent)
            entry["n"] += 1
    return list(series.values()), masks


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
    images, masks = scan_tree(root, progress)
    if not images:
        raise RadiodeepError(f"no DICOM image series below {root}")
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
    write_table(df, out)
    return df
