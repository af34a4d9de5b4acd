"""Turn per-case feature records into cohort tables.

Wide: one row per case, key columns first. Long: case_id, roi, source, image_type,
feature_class, feature, value. QC: per-case status, reason and diagnostics, no patient identity.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from radiodeep.features.dictionary import split_feature_name
from radiodeep.io import read_json

KEYS = ["case_id", "patient_id", "roi"]
# Diagnostics kept in the QC table: what a reader needs to judge a case, none of it identifying.
_QC_DIAGNOSTICS = (
    "diagnostics_Image-original_Spacing", "diagnostics_Image-original_Size",
    "diagnostics_Image-original_Mean", "diagnostics_Image-original_Minimum",
    "diagnostics_Image-original_Maximum", "diagnostics_Mask-original_VoxelNum",
    "diagnostics_Mask-original_VolumeNum", "diagnostics_Mask-original_BoundingBox",
    "diagnostics_Versions_PyRadiomics",
)


_PROVENANCE = ("mode", "pyradiomics_version", "preset_hash", "image_sha256", "mask_sha256")


def _rois(rec: dict) -> list[dict]:
    """A record's ROIs: ``rois`` (multi-label extraction) or the record itself (one label)."""
    if rec.get("rois"):
        return rec["rois"]
    return [{"roi": str(rec.get("roi", "1")), "features": rec.get("features", {}), "diagnostics": rec.get("diagnostics", {})}]


def collect_case_records(paths: Iterable[str | Path], manifest: pd.DataFrame, roi: str = "1") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read per-case JSON records; return (wide feature table, QC table).

    Wide: one row per case and ROI. QC: one row per case and ROI (one per skipped case) with
    status, reason, diagnostics and provenance (mode, pyradiomics version, preset hash, SHA-256
    of image and mask). Skipped cases appear in QC with their reason and are absent from the wide table.
    """
    patient_of = dict(zip(manifest["case_id"], manifest["patient_id"], strict=True))
    rows, qc = [], []
    for path in paths:
        rec = read_json(path)
        cid = rec["case_id"]
        prov = rec.get("provenance", {})
        for entry in _rois(rec) if rec["status"] == "ok" else [{"roi": str(rec.get("roi", roi)), "diagnostics": {}}]:
            q = {"case_id": cid, "patient_id": patient_of.get(cid, cid), "roi": entry["roi"], "status": rec["status"],
                 "reason": rec.get("reason", "")}
            for key in _QC_DIAGNOSTICS:
                if key in entry.get("diagnostics", {}):
                    q[key.replace("diagnostics_", "").replace("-original", "")] = str(entry["diagnostics"][key])
            q.update({k: prov.get(k, rec.get(k, "")) for k in _PROVENANCE})
            qc.append(q)
            if rec["status"] == "ok":
                rows.append({"case_id": cid, "patient_id": patient_of.get(cid, cid), "roi": entry["roi"], **entry["features"]})
    wide = pd.DataFrame(rows)
    if wide.empty:
        wide = pd.DataFrame(columns=KEYS)
    feature_cols = sorted(c for c in wide.columns if c not in KEYS)
    wide = wide[KEYS + feature_cols].sort_values(["case_id", "roi"], kind="stable").reset_index(drop=True)
    wide[feature_cols] = wide[feature_cols].astype("float64")
    qc_df = pd.DataFrame(qc).sort_values(["case_id", "roi"], kind="stable").reset_index(drop=True)
    return wide, qc_df


def long_table(wide: pd.DataFrame, source: str) -> pd.DataFrame:
    """Melt a wide table into case_id, roi, source, image_type, feature_class, feature, value."""
    feature_cols = [c for c in wide.columns if c not in KEYS]
    long = wide.melt(id_vars=["case_id", "roi"], value_vars=feature_cols, var_name="column", value_name="value")
    parts = long["column"].map(split_feature_name)
    long["source"] = source
    long["image_type"] = parts.str[0]
    long["feature_class"] = parts.str[1]
    long["feature"] = parts.str[2]
    return long[["case_id", "roi", "source", "image_type", "feature_class", "feature", "value"]].reset_index(drop=True)
