import pandas as pd
import pytest

from radiodeep.features import feature_dictionary, long_table, split_feature_name
from radiodeep.features.stage import build_radiomics_tables
from radiodeep.io import write_json
from radiodeep.manifest import read_manifest
from radiodeep.radiomics import load_preset, run_case


def test_split_feature_name_handles_filters_and_deep_names():
    assert split_feature_name("original_glcm_Contrast") == ("original", "glcm", "Contrast")
    assert split_feature_name("log-sigma-1-0-mm-3D_firstorder_Mean") == ("log-sigma-1-0-mm-3D", "firstorder", "Mean")
    assert split_feature_name("deep-unet_enc4_f0031") == ("deep-unet", "enc4", "f0031")
    with pytest.raises(ValueError, match="not of the form"):
        split_feature_name("volume")


def test_dictionary_has_units_families_and_pyradiomics_descriptions():
    d = feature_dictionary(["original_shape_MeshVolume", "original_firstorder_Mean", "wavelet-LLH_glcm_Contrast"], "radiomics", intensity_unit="SUV")
    d = d.set_index("column")
    assert d.at["original_shape_MeshVolume", "unit"] == "mm^3"
    assert d.at["original_firstorder_Mean", "unit"] == "SUV"
    assert d.at["wavelet-LLH_glcm_Contrast", "filter"] == "wavelet LLH"
    assert d.at["wavelet-LLH_glcm_Contrast", "family"] == "grey level co-occurrence matrix"
    assert "contrast" in d.at["wavelet-LLH_glcm_Contrast", "description"].lower()


def test_cohort_tables_from_two_demo_cases_and_one_skipped(demo_dir, tmp_path):
    manifest = read_manifest(demo_dir / "manifest.csv")
    params = load_preset("PET")
    paths = []
    for cid in ("STS_001", "STS_002"):
        row = manifest.set_index("case_id").loc[cid]
        paths.append(tmp_path / f"{cid}.json")
        run_case(row["image"], row["mask"], paths[-1], params, cid)
    write_json({"case_id": "STS_003", "status": "skipped", "reason": "case STS_003: mask is empty", "features": {}, "diagnostics": {}}, tmp_path / "STS_003.json")
    paths.append(tmp_path / "STS_003.json")
    out = {k: tmp_path / f"out.{k}" for k in ("parquet", "csv", "long", "dictionary", "qc")}
    out["parquet"] = tmp_path / "radiomics.parquet"
    out["long"] = tmp_path / "long.parquet"
    wide = build_radiomics_tables(paths, manifest, out, "PET", provenance_hash="abc")
    assert list(wide.columns[:3]) == ["case_id", "patient_id", "roi"]
    assert list(wide["case_id"]) == ["STS_001", "STS_002"]
    assert wide.shape == (2, 3 + 107)
    csv = pd.read_csv(out["csv"])
    pd.testing.assert_frame_equal(csv.drop(columns="roi"), wide.drop(columns="roi"), check_dtype=False)
    long = pd.read_parquet(out["long"])
    assert len(long) == 2 * 107
    assert set(long.columns) == {"case_id", "roi", "source", "image_type", "feature_class", "feature", "value"}
    assert long_table(wide, "radiomics")["value"].sum() == pytest.approx(long["value"].sum())
    qc = pd.read_csv(out["qc"]).set_index("case_id")
    assert qc.at["STS_003", "status"] == "skipped" and "mask is empty" in qc.at["STS_003", "reason"]
    assert int(qc.at["STS_001", "Mask_VoxelNum"]) == 5095  # native grid, STS_001 mask voxels
    import pyarrow.parquet as pq

    assert pq.read_schema(out["parquet"]).metadata[b"radiodeep.provenance"] == b"abc"
    assert len(pd.read_csv(out["dictionary"])) == 107


def test_cohort_with_skip_multilabel_rois_ibsi_codes_and_provenance(tmp_path):
    """on_error=skip: a case whose mask is on another grid is skipped, the cohort completes, QC
    says why; a two-label case gives one row per ROI; provenance and IBSI codes are filled in."""
    import numpy as np
    import SimpleITK as sitk

    from radiodeep.io import sha256_file
    from tests.conftest import make_volume

    rng = np.random.default_rng(5)
    arr = rng.normal(50, 10, (12, 16, 16)).astype(np.float32)
    mask = np.zeros(arr.shape, np.uint8)
    mask[3:8, 3:8, 3:8] = 1
    mask[3:9, 9:14, 9:14] = 2
    img = make_volume(tmp_path / "a" / "img.nii.gz", arr)
    msk = make_volume(tmp_path / "a" / "msk.nii.gz", mask, dtype=sitk.sitkUInt8)
    shifted = make_volume(tmp_path / "b" / "msk.nii.gz", mask, origin=(0.0, 0.0, 5.0), dtype=sitk.sitkUInt8)
    params = load_preset("CT", {"binWidth": 5})
    recs = [tmp_path / "A.json", tmp_path / "B.json"]
    run_case(img, msk, recs[0], params, "A", on_error="skip", labels="all", mode="ibsi")
    run_case(img, shifted, recs[1], params, "B", on_error="skip", labels="all", mode="ibsi")
    manifest = pd.DataFrame({"case_id": ["A", "B"], "patient_id": ["p1", "p2"]})
    out = {k: tmp_path / f"out_{k}.csv" for k in ("csv", "dictionary", "qc")}
    out.update(parquet=tmp_path / "w.parquet", long=tmp_path / "l.parquet")
    wide = build_radiomics_tables(recs, manifest, out, "CT", provenance_hash="h", mode="ibsi")
    assert wide[["case_id", "roi"]].values.tolist() == [["A", "1"], ["A", "2"]]
    assert wide["original_shape_VoxelVolume"].tolist() == [125.0, 150.0]
    qc = pd.read_csv(out["qc"], dtype=str).set_index("case_id")
    assert qc.at["B", "status"] == "skipped" and "mask grid differs from image grid" in qc.at["B", "reason"]
    assert qc.loc["A", "image_sha256"].tolist() == [sha256_file(img)] * 2 and qc.loc["A", "mode"].tolist() == ["ibsi"] * 2
    long = pd.read_parquet(out["long"])
    assert set(long["roi"]) == {"1", "2"} and len(long) == 2 * (len(wide.columns) - 3)
    d = pd.read_csv(out["dictionary"]).set_index("column")
    assert d.at["original_glcm_JointAverage", "ibsi_code"] == "60VM" and d.at["original_firstorder_Kurtosis", "ibsi_code"] == "IPH6"
    assert d.at["original_shape_MeshVolume", "unit"] == "mm^3" and d.at["original_firstorder_Mean", "unit"] == "HU"
    import pyarrow.parquet as pq

    meta = pq.read_schema(out["parquet"]).metadata
    assert meta[b"radiodeep.radiomics_mode"] == b"ibsi" and meta[b"radiodeep.pyradiomics_version"].startswith(b"v3")
