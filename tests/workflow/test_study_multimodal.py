"""The sarcoma re-analysis study (workflow/studies/sts_multimodal.yaml) on the shared subset: 15
patients x PET + CT + MR-T1, plus STS_001 with its PET only (a case lacking images), segmentation
off, few folds and permutations. One command; per-image and fused tables, the cross-image QC
flag on STS_019, the ablation table; and mask_from across patient coordinate systems refused."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import SimpleITK as sitk
import yaml

from radiodeep.study_sts import sts_multimodal_manifest
from tests.conftest import DEMO, REPO, snakemake

pytestmark = pytest.mark.slow
MULTI = REPO.parent / "shared" / "data" / "sts_multimodal"
SUBSET = ["STS_002", "STS_004", "STS_007", "STS_010", "STS_012", "STS_014", "STS_015", "STS_019", "STS_021",
          "STS_024", "STS_026", "STS_027", "STS_030", "STS_032", "STS_035"]
# cheap settings for CI; the study file keeps the full ones
FAST = ["model={repeats: 1, permutations: 0, inner_folds: 2, feature_sets: [handcrafted_PET, handcrafted_CT, "
        "handcrafted_MR, early_fusion, late_fusion]}", "evaluate={n_bootstrap: 200}", "survival={n_bootstrap: 200}"]


@pytest.fixture(scope="module")
def study_run(tmp_path_factory):
    if not MULTI.is_dir():
        pytest.skip(f"shared data {MULTI} not present")
    work = tmp_path_factory.mktemp("sts_multimodal")
    sts_multimodal_manifest(DEMO, MULTI, work / "sts_multimodal" / "manifest.csv", SUBSET + ["STS_001"])
    snakemake("--cores", "2", "--directory", str(work), "--configfile", str(REPO / "workflow/studies/sts_multimodal.yaml"),
              "--config", *FAST, cwd=work)
    return work / "results"


def test_per_image_and_fused_feature_tables(study_run):
    wide = pd.read_parquet(study_run / "features" / "radiomics.parquet")
    assert sorted(wide["case_id"]) == SUBSET  # STS_001 lacks CT and MR
    per_image = {name: pd.read_parquet(study_run / "features" / f"radiomics_{name}.parquet") for name in ("PET", "CT", "MR")}
    assert len(per_image["PET"]) == 16 and len(per_image["CT"]) == len(per_image["MR"]) == 15
    for name, table in per_image.items():
        features = [c for c in table.columns if c not in ("case_id", "patient_id", "roi")]
        assert features and all(c.startswith(f"{name}_original_") for c in features)
        assert set(features) <= set(wide.columns)
    assert len(wide.columns) == 3 + sum(len(t.columns) - 3 for t in per_image.values())
    # each image with its own settings: HU, SUV and z-scores differ in scale
    assert wide["CT_original_firstorder_Mean"].abs().median() > 10 > wide["PET_original_firstorder_Mean"].median()
    dictionary = pd.read_csv(study_run / "features" / "dictionary.csv")
    assert dict(zip(dictionary["image"], dictionary["modality"], strict=False)) == {"PET": "PET", "CT": "CT", "MR": "MR"}
    assert set(dictionary["column"]) == set(wide.columns) - {"case_id", "patient_id", "roi"}
    long = pd.read_parquet(study_run / "features" / "features_long.parquet")
    assert set(long["image"]) == {"PET", "CT", "MR"} and long["case_id"].nunique() == 16
    plans = {name: json.loads((study_run / "plan" / f"{name}.json").read_text()) for name in ("PET", "CT", "MR")}
    assert plans["CT"]["settings"]["radiomics.binWidth"]["value"] > plans["PET"]["settings"]["radiomics.binWidth"]["value"]


def test_cross_image_qc_flags_sts_019_and_lists_the_missing_images(study_run):
    qc = pd.read_csv(study_run / "ingest" / "cross_image_qc.csv")
    pairs = qc[qc["status"] != "missing_image"]
    assert len(pairs) == 45 and set(pairs.loc[pairs["flag"], "case_id"]) == {"STS_019"}
    pet_ct = pairs[(pairs["case_id"] == "STS_019") & (pairs["image_b"] == "CT")].iloc[0]
    assert 6.0 < abs(pet_ct["dz_mm"]) < 6.8
    excluded = pd.read_csv(study_run / "report" / "excluded_cases.csv")
    rows = excluded[excluded["source"] == "ingest/cross_image_qc"]
    assert set(zip(rows["case_id"], rows["status"], strict=True)) == {("STS_019", "flagged"), ("STS_001", "missing_image")}


def test_ablation_table(study_run):
    table = pd.read_csv(study_run / "evaluation" / "image_ablation.csv").set_index("feature_set")
    assert {"handcrafted_PET", "handcrafted_CT", "handcrafted_MR", "early_fusion", "late_fusion", "clinical",
            "clinical+handcrafted"} <= set(table.index)
    assert (table["auc_ci_low"] <= table["auc"]).all() and (table["auc"] <= table["auc_ci_high"]).all()
    best = table.index[table["reference"] == "best single image"]
    assert len(best) == 1 and best[0].startswith("handcrafted_")
    others = table.drop(index=best)
    assert (others["reference"] == best[0]).all() and others["delong_p"].between(0, 1).all()
    assert table.at["handcrafted_PET", "n"] == 16 and table.at["early_fusion", "n"] == 15


def test_mask_from_in_another_coordinate_system_is_refused(tmp_path):
    if not MULTI.is_dir():
        pytest.skip(f"shared data {MULTI} not present")
    moved = sitk.ReadImage(str(MULTI / "CT" / "STS_002" / "CT_image.nii.gz"))
    moved.SetOrigin([o + 300.0 for o in moved.GetOrigin()])
    sitk.WriteImage(moved, str(tmp_path / "CT_moved.nii.gz"))
    rows = [{"case_id": c, "image_name": "PET", "image": str(DEMO / c / "PET_image.nii.gz"),
             "mask": str(DEMO / c / "PET_mask.nii.gz"), "mask_from": "", "label": i % 2} for i, c in enumerate(SUBSET[:4])]
    rows.append({"case_id": "STS_002", "image_name": "CT", "image": str(tmp_path / "CT_moved.nii.gz"), "mask": "",
                 "mask_from": "PET", "label": 0})
    pd.DataFrame(rows).to_csv(tmp_path / "manifest.csv", index=False)
    (tmp_path / "study.yaml").write_text(yaml.safe_dump({"manifest": str(tmp_path / "manifest.csv"), "model": {"folds": 2},
                                                         "segment": {"enabled": False, "mask_source": "reference"}}))
    proc = snakemake("results/carried/STS_002__CT/mask.nii.gz", "--cores", "1", "--directory", str(tmp_path),
                     "--configfile", str(tmp_path / "study.yaml"), check=False)  # the target first: --configfile takes several
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "case STS_002" in text and "CT_moved.nii.gz" in text
    assert "image CT: the mask of image PET" in text and "not in one patient coordinate system" in text
