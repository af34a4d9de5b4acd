"""Fixtures of the report tests: segmentation pictures of three demo PET cases, the inputs of the
results page of the small study, with and without every optional section."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiodeep.report.figures import plot_icc_by_family
from radiodeep.report.overlays import write_overlays

CASES = ["STS_001", "STS_002", "STS_003"]


@pytest.fixture(scope="session")
def overlay_cohort(tmp_path_factory, demo_dir):
    """Three demo cases; the "U-Net" masks are the reference dilated by 0, 1 and 2 voxels."""
    work = tmp_path_factory.mktemp("overlays")
    rows, images, refs, preds = [], {}, {}, {}
    for grow, case in enumerate(CASES):
        ref = sitk.ReadImage(str(demo_dir / case / "PET_mask.nii.gz")) > 0
        pred = sitk.BinaryDilate(ref, [grow] * 3) if grow else ref
        sitk.WriteImage(pred, str(work / f"{case}_pred.nii.gz"))
        overlap, distance = sitk.LabelOverlapMeasuresImageFilter(), sitk.HausdorffDistanceImageFilter()
        overlap.Execute(ref, pred)
        distance.Execute(ref, pred)  # ITK's Dice and (full) Hausdorff distance: no torch import here
        dice = overlap.GetDiceCoefficient()
        rows.append({"case_id": case, "dice": dice, "hd95_mm": distance.GetHausdorffDistance(), "low_dice": dice < 0.7})
        images[case], refs[case] = str(demo_dir / case / "PET_image.nii.gz"), str(demo_dir / case / "PET_mask.nii.gz")
        preds[case] = str(work / f"{case}_pred.nii.gz")
    rows.append({"case_id": "STS_009", "dice": np.nan, "hd95_mm": np.nan, "low_dice": False})  # excluded: no masks
    pd.DataFrame(rows).to_csv(work / "dice.csv", index=False)
    order = write_overlays(work / "dice.csv", CASES, [images[c] for c in CASES], [refs[c] for c in CASES],
                           [preds[c] for c in CASES], work / "contact_sheet.png",
                           work / "distributions.png", min_dice=0.7)
    return work, pd.DataFrame(rows), order, images, refs, preds




def run_inputs(results: Path) -> dict:
    """The summary rule's inputs in a finished small study."""
    ev = results / "evaluation"
    return {"provenance": results / "provenance.json", "manifest": results.parent / "cohort" / "manifest.csv",
            "ingest_qc": results / "ingest" / "qc.csv", "excluded": results / "report" / "excluded_cases.csv",
            "oof": ev / "oof_predictions.csv", "null": ev / "permutation_null.csv", "metrics": ev / "metrics.csv",
            "delong": ev / "delong.csv", "roc": ev / "roc.png", "calibration": ev / "calibration.png",
            "decision_curve": ev / "decision_curve.png", "permutation_null": results / "report" / "permutation_null.png"}


@pytest.fixture(scope="session")
def full_page_inputs(small_study, overlay_cohort, tmp_path_factory):
    """The small study's tables plus a plan, an importance table, segmentation pictures and a
    stability table: every optional section of the page."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    work = tmp_path_factory.mktemp("full_page")
    overlays, dice, *_ = overlay_cohort
    (work / "plan.json").write_text(json.dumps({"folds": 3, "per_fold": {"positives_min": 1}, "warnings": ["few positives"]}))
    features = [f"original_firstorder_F{i}" for i in range(7)]
    pd.DataFrame({"feature_set": "handcrafted", "classifier": "elasticnet", "feature": features,
                  "selection_frequency": [0.2, 1.0, 0.5, 1.0, 0.9, 0.1, 0.7], "importance_median": [0.1, 0.3, 0.2, 0.6, 0.4, 0.0, 0.2],
                  "importance_q1": 0.0, "importance_q3": 1.0, "importance_kind": "coefficient"}).to_csv(work / "importance.csv", index=False)
    fig, ax = plt.subplots(figsize=(4, 3), dpi=50)
    ax.barh(features, range(7))
    fig.savefig(work / "importance.png")
    pd.DataFrame({"feature": ["original_shape_A", "original_shape_B", "original_glcm_C", "wavelet-LLH_glcm_D"],
                  "icc": [0.95, 0.8, 0.5, np.nan], "n": 12, "stable": [True, True, False, False]}).to_csv(work / "stability.csv", index=False)
    families = plot_icc_by_family(pd.read_csv(work / "stability.csv"), 0.75, work / "icc.png")
    assert families[["family", "features", "kept"]].values.tolist() == [["glcm", 2, 0], ["shape", 2, 2]]
    return {**run_inputs(small_study / "results"), "plan": work / "plan.json", "importance": work / "importance.csv",
            "importance_figure": work / "importance.png", "dice": overlays / "dice.csv",
            "contact_sheet": overlays / "contact_sheet.png", "segmentation_distributions": overlays / "distributions.png",
            "stability": work / "stability.csv", "icc": work / "icc.png"}
