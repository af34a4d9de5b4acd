"""Every stage wired together under Snakemake on 10 demo cases, one of them without a mask:
U-Net CV + final model, inference for the unmasked case, radiomics on both masks, stability,
deep features from the U-Net encoder, and all four feature sets in the model stage."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import SimpleITK as sitk
import yaml

from tests.conftest import copy_demo_subset
from tests.workflow.test_workflow import snakemake

pytestmark = pytest.mark.slow

TINY = {
    "segment": {"enabled": True, "mask_source": "both", "folds": 2, "steps": 15, "val_every": 5,
                "architecture": {"name": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 2,
                                 "channels": [4, 8, 16], "strides": [2, 2]}},
    "model": {"feature_sets": ["handcrafted", "deep", "early_fusion", "late_fusion"], "folds": 2, "repeats": 1,
              "classifiers": ["elasticnet"], "selection": "mrmr", "baselines": False,
              "inner_folds": 2, "permutations": 2},
    "evaluate": {"n_bootstrap": 200},
}


def test_every_stage_on_ten_cases_with_one_unmasked(tmp_path):
    manifest = copy_demo_subset(tmp_path / "cohort", 10)
    m = pd.read_csv(manifest)
    unmasked = m.loc[0, "case_id"]
    m["mask"] = m["mask"].astype(object)
    m.loc[0, "mask"] = ""
    m.to_csv(manifest, index=False)
    (tmp_path / "study.yaml").write_text(yaml.safe_dump({"manifest": str(manifest), **TINY}))
    run = ["--directory", str(tmp_path), "--cores", "2", "--configfile", str(tmp_path / "study.yaml")]
    res = tmp_path / "results"
    # The U-Net misses two cases completely: the unmasked one (final model) and one masked case
    # (out of fold). Forced by emptying their predicted masks once the segmenter has run.
    # targets first: --configfile takes every argument after it
    snakemake("results/segmentation/dice.csv", f"results/segmentation/predicted/{unmasked}/mask.nii.gz", *run)
    missed = m.loc[1, "case_id"]
    for case in (unmasked, missed):
        path = res / "segmentation" / "predicted" / case / "mask.nii.gz"
        empty = sitk.ReadImage(str(path)) * 0
        sitk.WriteImage(empty, str(path), True)
    snakemake(*run)

    dice = pd.read_csv(res / "segmentation" / "dice.csv")
    assert len(dice) == 9 and unmasked not in set(dice["case_id"])  # CV over the 9 masked cases only
    assert dice["dice"].between(0, 1).all() and dice["dice_baseline"].between(0, 1).all()
    assert (res / "segmentation" / "predicted" / unmasked / "mask.nii.gz").exists()
    plan = json.loads((res / "plan.json").read_text())["settings"]
    assert plan["preprocess.spacing"] == {**plan["preprocess.spacing"], "value": [4.0, 4.0, 4.0], "source": "planned"}
    assert plan["radiomics.binWidth"]["value"] == 0.25  # the PET preset's width fits the cohort

    # the unmasked case has no ROI at all: out of the tables and the models, listed with the reason
    wide = pd.read_csv(res / "features" / "radiomics.csv")
    assert len(wide) == 9 and unmasked not in set(wide["case_id"])
    qc = pd.read_csv(res / "features" / "qc.csv").set_index("case_id")
    assert qc.at[unmasked, "status"] == "excluded" and "U-Net found no ROI" in qc.at[unmasked, "reason"]
    excluded = pd.read_csv(res / "report" / "excluded_cases.csv")
    assert {(r.source, r.case_id) for r in excluded.itertuples()} == {("features/qc", unmasked), ("features/stability_qc", missed)}
    assert excluded["reason"].str.contains("U-Net found no ROI").all()
    assert missed in (res / "report" / "excluded_cases.html").read_text()
    oof = pd.read_csv(res / "evaluation" / "oof_predictions.csv")
    assert unmasked not in set(oof["case_id"]) and missed in set(oof["case_id"])
    # the stability analysis goes on without the missed case
    stability = pd.read_csv(res / "features" / "stability.csv")
    assert set(stability.columns) >= {"feature", "icc", "stable"} and len(stability) == 107
    assert stability["n"].max() == 8
    deep = pd.read_parquet(res / "features" / "deep.parquet")
    assert len(deep) == 9 and deep.iloc[:, 3:].shape[1] == 4 + 8 + 16 and not deep.isna().any().any()

    metrics = pd.read_csv(res / "evaluation" / "metrics.csv")
    assert list(metrics["feature_set"]) == ["handcrafted", "deep", "early_fusion", "late_fusion"]
    assert (metrics["auc_ci_low"] <= metrics["auc"]).all() and (metrics["auc"] <= metrics["auc_ci_high"]).all()
    assert len(pd.read_csv(res / "evaluation" / "delong.csv")) == 4
    for page in ("dice", "stability", "delong", "metrics"):
        assert (res / "report" / f"{page}.html").stat().st_size > 500
