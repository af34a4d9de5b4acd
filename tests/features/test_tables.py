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
