"""Several images per case: the manifest contract (image_name, modality, mask_from), the carried
mask, the cross-image QC on the shared STS subset, the per-image feature tables and the ablation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiodeep.errors import CaseError, ManifestError
from radiodeep.features.images import image_dictionary, image_feature_tables, image_long_table
from radiodeep.ingest.cross_image import carry_mask, cross_image_qc, mask_stats
from radiodeep.manifest import covariate_columns, read_manifest
from radiodeep.manifest_images import image_groups, per_case, unit_modalities
from radiodeep.model.image_ablation import image_ablation
from tests.conftest import REPO

SHARED = REPO.parent / "shared" / "data"
MULTI = SHARED / "sts_multimodal"
SUBSET = ["STS_002", "STS_004", "STS_007", "STS_010", "STS_012", "STS_014", "STS_015", "STS_019", "STS_021",
          "STS_024", "STS_026", "STS_027", "STS_030", "STS_032", "STS_035"]
needs_shared = pytest.mark.skipif(not MULTI.is_dir(), reason=f"shared data {MULTI} not present")


def write_manifest(tmp_path, rows):
    for name in ("a.nii.gz", "b.nii.gz", "m.nii.gz"):
        (tmp_path / name).write_bytes(b"x")
    path = tmp_path / "manifest.csv"
    pd.DataFrame(rows).fillna("").to_csv(path, index=False)
    return path


def row(case, name, **kw):
    return {"case_id": case, "image_name": name, "image": "a.nii.gz", "mask": "m.nii.gz", "label": "0", "age": "60", **kw}


def test_units_cases_groups_and_modalities(tmp_path):
    rows = [row("p1", "PET", modality="PET"), row("p1", "CT", modality="ct"), row("p2", "PET", modality="PET", label="1"),
            row("p2", "CT", modality="CT", label="1", mask="", mask_from="PET")]
    df = read_manifest(write_manifest(tmp_path, rows))
    assert list(df["case_id"]) == ["p1__PET", "p1__CT", "p2__PET", "p2__CT"]
    assert list(df["parent_id"]) == ["p1", "p1", "p2", "p2"]
    assert image_groups(df) == {"PET": ["p1__PET", "p2__PET"], "CT": ["p1__CT", "p2__CT"]}
    assert unit_modalities(df, "MR") == {"p1__PET": "PET", "p1__CT": "CT", "p2__PET": "PET", "p2__CT": "CT"}
    cases = per_case(df)
    assert list(cases["case_id"]) == ["p1", "p2"] and list(cases["label"]) == [0, 1]
    assert "image_name" not in cases and "mask_from" not in cases
    assert covariate_columns(df) == ["age"]


def test_one_image_manifest_is_unchanged(demo_dir):
    df = read_manifest(demo_dir / "manifest.csv")
    assert "parent_id" not in df and len(df) == 51 and df["case_id"].is_unique
    assert per_case(df) is df and image_groups(df) == {"": list(df["case_id"])}
    assert set(unit_modalities(df, "PET").values()) == {"PET"}


def test_bad_multi_image_manifest_names_row_image_and_column(tmp_path):
    rows = [row("p1", "PET"), row("p1", "PET"), row("p1", "C-T"), row("p2", "PET", modality="XR", age="61"),
            row("p2", "CT", age="62", mask_from="MR"), row("p3", "PET", mask=""), row("p3", "CT", mask="", mask_from="PET")]
    with pytest.raises(ManifestError) as err:
        read_manifest(write_manifest(tmp_path, rows))
    text = str(err.value)
    assert "row 2 (line 3, case_id 'p1'), column image_name: image 'PET' given twice for this case" in text
    assert "row 3 (line 4, case_id 'p1'), column image_name: image_name 'C-T'" in text
    assert "row 4 (line 5, case_id 'p2'), column modality: image 'PET': modality 'XR'; use CT, MR or PET" in text
    assert "case 'p2', column age: a case-level column differs between its rows (row 4 (PET): '61', row 5 (CT): '62')" in text
    assert "row 5 (line 6, case_id 'p2'), column mask_from: image 'CT': no image 'MR' in this case" in text
    assert "row 5 (line 6, case_id 'p2'), column mask: image 'CT' has both a mask and mask_from" in text
    assert "row 7 (line 8, case_id 'p3'), column mask_from: image 'CT': image 'PET' has no mask of its own" in text


@needs_shared
def test_carry_mask_onto_another_grid_and_refuse_another_coordinate_system(tmp_path, demo_dir):
    ct_mask, pet = MULTI / "CT" / "STS_002" / "CT_mask.nii.gz", demo_dir / "STS_002" / "PET_image.nii.gz"
    carried = carry_mask(ct_mask, pet, tmp_path / "carried.nii.gz", "STS_002", "PET", "CT")
    assert carried.GetSize() == sitk.ReadImage(str(pet)).GetSize()
    c_carried, v_carried = mask_stats(carried)
    c_pet, v_pet = mask_stats(sitk.ReadImage(str(demo_dir / "STS_002" / "PET_mask.nii.gz")))
    c_ct, v_ct = mask_stats(sitk.ReadImage(str(ct_mask)))
    assert np.linalg.norm(c_carried - c_ct) < 1.0  # the same tumour, on the coarser PET grid
    assert np.linalg.norm(c_carried - c_pet) < 1.0 and 0.85 < v_carried / v_pet < 1.15
    moved = sitk.ReadImage(str(pet))
    moved.SetOrigin([o + 400.0 for o in moved.GetOrigin()])  # another patient coordinate system
    sitk.WriteImage(moved, str(tmp_path / "moved.nii.gz"))
    with pytest.raises(CaseError) as err:
        carry_mask(ct_mask, tmp_path / "moved.nii.gz", tmp_path / "x.nii.gz", "STS_002", "PET", "CT")
    assert err.value.case_id == "STS_002" and err.value.path == str(tmp_path / "moved.nii.gz")
    assert "image PET: the mask of image CT" in err.value.problem and "not in one patient coordinate system" in err.value.problem


@needs_shared
def test_cross_image_qc_flags_sts_019_only(demo_dir):
    cases = {c: {"PET": demo_dir / c / "PET_mask.nii.gz", "CT": MULTI / "CT" / c / "CT_mask.nii.gz",
                 "MR": MULTI / "MR_T1" / c / "MR_T1_mask.nii.gz"} for c in SUBSET}
    cases["STS_001"] = {"PET": demo_dir / "STS_001" / "PET_mask.nii.gz"}
    qc = cross_image_qc(cases, {}, ["PET", "CT", "MR"], max_centroid_mm=3.0, max_volume_ratio=1.5)
    pairs = qc[qc["status"] != "missing_image"]
    assert len(pairs) == 45
    flagged = pairs[pairs["flag"]]
    assert set(flagged["case_id"]) == {"STS_019"}
    assert sorted(zip(flagged["image_a"], flagged["image_b"], strict=True)) == [("CT", "MR"), ("PET", "CT")]
    pet_ct = flagged[flagged["image_a"] == "PET"].iloc[0]
    assert 6.0 < abs(pet_ct["dz_mm"]) < 6.8 and 6.5 < pet_ct["centroid_distance_mm"] < 8.0
    assert pairs.loc[~pairs["flag"], "centroid_distance_mm"].max() < 0.5
    assert pairs["volume_ratio"].max() < 1.1
    missing = qc[qc["status"] == "missing_image"]
    assert list(missing["case_id"]) == ["STS_001"] and "no image CT, MR" in missing["reason"].iloc[0]


def test_pivot_prefixes_names_and_keeps_cases_with_every_image():
    manifest = pd.DataFrame({"case_id": ["a__PET", "a__CT", "b__PET"], "parent_id": ["a", "a", "b"],
                             "image_name": ["PET", "CT", "PET"], "modality": ["PET", "CT", "PET"]})
    units = pd.DataFrame({"case_id": ["a__CT", "a__PET", "b__PET"], "patient_id": ["a", "a", "b"], "roi": ["1"] * 3,
                          "original_firstorder_Mean": [40.0, 3.5, 2.0], "original_shape_VoxelVolume": [10.0, 9.0, 8.0]})
    wide, per_image = image_feature_tables(units, manifest)
    assert list(wide["case_id"]) == ["a"] and wide.at[0, "CT_original_firstorder_Mean"] == 40.0
    assert wide.at[0, "PET_original_firstorder_Mean"] == 3.5
    assert list(per_image["PET"]["case_id"]) == ["a", "b"] and list(per_image["CT"]["case_id"]) == ["a"]
    long = image_long_table(units, manifest)
    assert set(zip(long["case_id"], long["image"], strict=True)) == {("a", "CT"), ("a", "PET"), ("b", "PET")}
    d = image_dictionary(per_image, {"PET": "PET", "CT": "CT"}, {"PET": "SUV", "CT": "HU"}, {})
    mean = d.set_index("column").loc[["PET_original_firstorder_Mean", "CT_original_firstorder_Mean"]]
    assert list(mean["image"]) == ["PET", "CT"] and list(mean["unit"]) == ["SUV", "HU"]
    assert list(mean["feature"]) == ["Mean", "Mean"] and list(mean["r_name"]) == list(mean.index)


def test_ablation_compares_each_set_with_the_best_single_image():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 20)
    rows = []
    for name, noise in (("handcrafted_PET", 0.3), ("handcrafted_CT", 3.0), ("early_fusion", 0.3)):
        score = y + rng.normal(0, noise, len(y))
        rows.append(pd.DataFrame({"feature_set": name, "classifier": "elasticnet", "repeat": 0, "fold": 0,
                                  "case_id": [f"c{i}" for i in range(len(y))], "patient_id": [f"c{i}" for i in range(len(y))],
                                  "label": y, "score": score}))
    table = image_ablation(pd.concat(rows), ["handcrafted_PET", "handcrafted_CT"], n_boot=200).set_index("feature_set")
    assert table.at["handcrafted_PET", "reference"] == "best single image"
    assert table.at["handcrafted_CT", "reference"] == "handcrafted_PET"
    assert table.at["handcrafted_CT", "delta_auc"] < -0.2 and table.at["handcrafted_CT", "delong_p"] < 0.05
    assert table.at["early_fusion", "kind"] == "fused images" and table["auc_ci_low"].notna().all()


def test_mask_from_round_between_image_names_is_refused(tmp_path):
    # ingest batches are per image name: PET waits for T1 (p2) while T1 waits for PET (p1)
    rows = [row("p1", "PET"), row("p1", "T1", mask="", mask_from="PET"), row("p2", "T1", label="1"),
            row("p2", "PET", label="1", mask="", mask_from="T1"), row("p3", "PET"), row("p3", "CT", mask="", mask_from="PET")]
    with pytest.raises(ManifestError) as err:
        read_manifest(write_manifest(tmp_path, rows))
    text = str(err.value)
    assert "1 problem(s)" in text and "mask_from goes round between images T1 -> PET -> T1" in text
    assert "row 2 (line 3, case_id 'p1'), column mask_from: image 'T1' from 'PET'" in text
    assert "row 4 (line 5, case_id 'p2'), column mask_from: image 'PET' from 'T1'" in text
    rows[3] = row("p2", "PET", label="1")  # one way only (T1 and CT from PET): accepted
    assert len(read_manifest(write_manifest(tmp_path, rows))) == 6
