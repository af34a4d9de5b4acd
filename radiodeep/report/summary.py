"""The results page (``results/summary.html``): what a reader wants first, from the run's own tables.

One self-contained HTML file (figures embedded as data URIs), rendered by a Jinja2 template
(``templates/summary.html.j2``): the run (from ``provenance.json``), the cohort (cases, patients,
positives, modalities, sites, exclusions with reasons), the metrics with CIs, ROC, calibration and
decision curves, DeLong tests, the permutation null, feature importance, segmentation pictures,
feature stability, the cohort plan and the provenance hash. No number is typed in: each comes
from a table of the run, and tables made by another run are refused.

Example:
    >>> fmt(0.81234), fmt(None), fmt(12), fmt(1.0), fmt(3.2e-9)
    ('0.812', '', '12', '1.000', '3.2e-09')
"""

from __future__ import annotations

import base64
import json
import math
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiodeep.errors import RadiodeepError
from radiodeep.io import atomic_path, read_table_metadata, sha256_file
from radiodeep.manifest_images import per_case
from radiodeep.provenance import METADATA_KEY, flatten
from radiodeep.report.run import read_run, run_description

TEMPLATE = "summary.html.j2"
METRIC_COLUMNS = ["sensitivity", "specificity", "ppv", "npv", "brier", "calibration_slope", "perm_p", "n_permutations"]
COUNT_COLUMNS = {"n", "n_pos", "n_repeats", "n_permutations", "test_n", "features", "kept"}
IMPORTANCE_TOP = 5
LOW_DICE_COLUMNS = ["case_id", "fold", "dice", "hd95_mm", "volume_ref_ml", "volume_pred_ml", "dice_baseline"]
# figure shown on the page -> its key in the inputs
FIGURES = {"roc": "roc", "calibration": "calibration", "decision_curve": "decision_curve",
           "permutation_null": "permutation_null", "importance": "importance_figure", "contact_sheet": "contact_sheet",
           "segmentation_distributions": "segmentation_distributions", "icc": "icc"}


def fmt(value: Any, digits: int = 3) -> str:
    """A table cell: integers as such, floats to ``digits`` decimals (tiny ones in e-notation),
    NaN/None empty; a float column keeps its decimals (an AUC of 1 shows as 1.000)."""
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}f}" if value == 0 or abs(value) >= 10 ** -digits else f"{value:.2g}"
    return str(value)


def count(value: Any) -> str:
    """A count read as a float (a column with NaN): ``12.0`` -> ``12``."""
    return "" if pd.isna(value) else str(int(value))


def png_uri(path: str | Path) -> dict[str, Any]:
    """A PNG as ``{"uri", "width", "height", "name"}`` (size from its IHDR header)."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise RadiodeepError(f"{path}: not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return {"uri": "data:image/png;base64," + base64.b64encode(data).decode(), "width": width, "height": height,
            "name": Path(path).name}


def _csv(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"case_id": str, "patient_id": str})


def check_same_run(record: Mapping, manifest: str | Path, linked: Mapping[str, str | Path]) -> None:
    """Refuse tables from another run: the manifest's hash and every linked table's provenance
    must equal those of ``record``."""
    if record.get("manifest_sha256") and sha256_file(manifest) != record["manifest_sha256"]:
        raise RadiodeepError(f"{manifest}: not the manifest of the run recorded in provenance.json (SHA-256 differs); "
                             "rerun the workflow so that results and manifest match")
    for name, path in linked.items():
        found = read_table_metadata(path).get(METADATA_KEY)
        if found and found != record["provenance_sha256"]:
            raise RadiodeepError(f"{path}: made by run {found[:12]}, but provenance.json records run "
                                 f"{record['provenance_sha256'][:12]} ({name}); rerun the workflow")


def cohort(manifest: pd.DataFrame, ingest_qc: pd.DataFrame | None, excluded: pd.DataFrame,
           modality: str = "") -> dict[str, Any]:
    """Counts of the cohort: cases, patients, positives/negatives/unlabelled, image formats,
    modalities (DICOM headers, else the manifest's column, else the run's ``modality`` setting),
    sites and splits."""
    label = pd.to_numeric(per_case(manifest)["label"], errors="coerce")  # one per case, also with several images
    rows = [("cases", len(label)), ("patients", manifest["patient_id"].nunique()),
            ("positives (label 1)", int((label == 1).sum())), ("negatives (label 0)", int((label == 0).sum())),
            ("without label (not modelled)", int(label.isna().sum())),
            ("with a reference mask", int((manifest.get("mask", pd.Series("", index=manifest.index)) != "").sum())),
            ("excluded (any stage)", excluded["case_id"].nunique() if len(excluded) else 0)]
    if len(label) < len(manifest):
        rows.insert(1, ("images (several per case)", len(manifest)))
    counts = {}
    if ingest_qc is not None and "source_format" in ingest_qc:
        counts["image format"] = ingest_qc["source_format"].fillna("unknown").value_counts().to_dict()
    read = ingest_qc["modality"].dropna() if ingest_qc is not None and "modality" in ingest_qc else pd.Series(dtype=str)
    if len(read) == 0 and "modality" in manifest:
        read = manifest["modality"][manifest["modality"] != ""]
    counts["modality"] = (read.value_counts().to_dict() if len(read)
                          else {f"{modality} (the run's setting; NIfTI/NRRD headers name none)": len(manifest)})
    for column in ("site", "split"):
        if column in manifest and (manifest[column] != "").any():
            counts[column] = manifest[column].replace("", "none").value_counts().to_dict()
    return {"rows": rows, "counts": counts}


def metrics_rows(metrics: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per model: AUC with its CI, the threshold metrics, calibration and the permutation p."""
    rows = []
    for _, m in metrics.iterrows():
        row = {"feature_set": m["feature_set"], "classifier": m["classifier"], "n": count(m["n"]), "n_pos": count(m["n_pos"]),
               "auc": fmt(m["auc"]), "auc_ci_low": fmt(m["auc_ci_low"]), "auc_ci_high": fmt(m["auc_ci_high"]),
               "cells": {c: (count if c in COUNT_COLUMNS else fmt)(m[c]) for c in METRIC_COLUMNS if c in m}}
        warning = m.get("warning", "")
        row["warning"] = warning if isinstance(warning, str) else ""
        if pd.notna(m.get("test_auc", float("nan"))):
            row["test"] = f"{fmt(m['test_auc'])} [{fmt(m['test_auc_ci_low'])}, {fmt(m['test_auc_ci_high'])}] (n={count(m['test_n'])})"
        rows.append(row)
    return rows


def table_fragment(table: pd.DataFrame, table_id: str) -> str:
    """An HTML table of every cell, numbers formatted by :func:`fmt`."""
    return table.to_html(index=False, table_id=table_id, border=0, na_rep="",
                         formatters={c: count if c in COUNT_COLUMNS else fmt for c in table.columns})


def importance_top(importance: pd.DataFrame, n: int = IMPORTANCE_TOP) -> pd.DataFrame:
    """The ``n`` most often selected features of each model (ties: larger median importance)."""
    order = importance.sort_values(["feature_set", "classifier", "selection_frequency", "importance_median"],
                                   ascending=[True, True, False, False])
    return order.groupby(["feature_set", "classifier"], sort=False).head(n).reset_index(drop=True)


def plan_rows(plan: Any) -> list[tuple[str, str]]:
    """The cohort plan, whatever its shape, as (dotted key, value) rows."""
    return [(k or "plan", v if isinstance(v, str) else json.dumps(v)) for k, v in flatten(plan)]


def summary_context(inputs: Mapping[str, str | Path], min_dice: float | None = None) -> dict[str, Any]:
    """Everything the template shows.

    Args:
        inputs: paths by name: ``provenance``, ``manifest``, ``ingest_qc``, ``excluded``,
            ``metrics``, ``delong``, ``oof``; optional tables ``plan``, ``importance``, ``dice``,
            ``stability``; PNG figures by the names in :data:`FIGURES` (those present are shown).
        min_dice: the run's ``segment.min_dice`` (shown beside the low-Dice cases).
    """
    from radiodeep.manifest import read_manifest

    record = read_run(inputs["provenance"])
    run = run_description(record)
    check_same_run(record, inputs["manifest"], {"out-of-fold predictions": inputs["oof"]})
    manifest = read_manifest(inputs["manifest"], label=run["label"], check_files=False)
    excluded = pd.read_csv(inputs["excluded"], dtype=str, keep_default_na=False)
    ingest_qc = _csv(inputs["ingest_qc"]) if inputs.get("ingest_qc") else None
    metrics = pd.read_csv(inputs["metrics"])
    delong = pd.read_csv(inputs["delong"])
    ctx: dict[str, Any] = {
        "run": run, "cohort": cohort(manifest, ingest_qc, excluded, run["modality"]), "excluded": excluded.to_dict("records"),
        "metrics": metrics_rows(metrics), "metrics_full": table_fragment(metrics, "metrics-full"),
        "delong": table_fragment(delong, "delong") if len(delong) else "",
        "figures": {name: png_uri(inputs[key]) for name, key in FIGURES.items() if inputs.get(key)},
        "plan": plan_rows(json.loads(Path(inputs["plan"]).read_text())) if inputs.get("plan") else None,
        "importance": None, "importance_n": IMPORTANCE_TOP, "segmentation": None, "stability": None,
    }
    if inputs.get("importance"):
        top = importance_top(pd.read_csv(inputs["importance"]))
        ctx["importance"] = table_fragment(top, "importance")
    if inputs.get("dice"):
        dice = _csv(inputs["dice"])
        scored = dice.dropna(subset=["dice"])
        low = scored[scored["low_dice"].astype(str).str.lower() == "true"].sort_values("dice")
        ctx["segmentation"] = {
            "n": len(scored), "dice_mean": fmt(scored["dice"].mean()), "dice_median": fmt(scored["dice"].median()),
            "hd95_median": fmt(scored["hd95_mm"].median(), 1), "min_dice": fmt(min_dice) if min_dice is not None else "",
            "baseline_median": fmt(scored["dice_baseline"].median()) if "dice_baseline" in scored and scored["dice_baseline"].notna().any() else "",
            "low": table_fragment(low[[c for c in LOW_DICE_COLUMNS if c in low]], "low-dice") if len(low) else "",
            "n_low": len(low), "by_image": _dice_by_image(dice), "not_scored": [{"case_id": r["case_id"], "note": "" if pd.isna(r.get("note")) else r["note"]}
                           for _, r in dice[dice["dice"].isna()].iterrows()]}
    if inputs.get("stability"):
        from radiodeep.report.figures import stability_by_family

        threshold = float(record["config"].get("model", {}).get("icc_threshold", 0.75))
        stability = pd.read_csv(inputs["stability"])
        families = stability_by_family(stability, threshold)
        ctx["stability"] = {"threshold": fmt(threshold), "kept": int(families["kept"].sum()), "total": len(stability),
                            "families": table_fragment(families, "icc-families")}
    return ctx


def _dice_by_image(dice: pd.DataFrame) -> str:
    """Several images per case (an ``image`` column): one row per image's U-Net, else ``""``."""
    from radiodeep.segment.images import dice_by_image

    return table_fragment(dice_by_image(dice), "dice-by-image") if "image" in dice else ""


def render_summary(context: Mapping[str, Any]) -> str:
    """The page's HTML, from the package's Jinja2 template (autoescaped)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("radiodeep.report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template(TEMPLATE).render(**context)


def write_summary(inputs: Mapping[str, str | Path], out_html: str | Path, null_png: str | Path,
                  min_dice: float | None = None) -> dict[str, Any]:
    """Draw the permutation-null figure to ``null_png`` from ``inputs["null"]``, then write the page atomically."""
    from radiodeep.report.figures import plot_permutation_null

    plot_permutation_null(pd.read_csv(inputs["null"]), pd.read_csv(inputs["metrics"]), null_png)
    context = summary_context({**inputs, "permutation_null": null_png}, min_dice)
    with atomic_path(out_html) as tmp:
        tmp.write_text(render_summary(context))
    return context
