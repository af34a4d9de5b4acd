"""``radiomics.mode: ibsi`` with an ``ibsi_filters`` list in the preset: radiodeep's response maps go
to pyradiomics, their features are named after the filter, the dictionary records it; the
default mode ignores the list."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from radiodeep.features.dictionary import feature_dictionary
from radiodeep.radiomics.compliance import within
from radiodeep.radiomics.extract import extract_case
from radiodeep.radiomics.presets import load_preset

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CT = SHARED / "ibsi" / "ct_phantom" / "nifti"
pytestmark = pytest.mark.skipif(not CT.is_dir(), reason=f"IBSI CT phantom not found under {CT} (shared/data/ibsi)")
LOG_2D = {"filter": "log", "sigma": 1.5, "truncate": 4, "dims": 2}
LAWS_2D = {"filter": "laws", "kernel": "L5E5", "delta": 7}


def _params():
    params = load_preset("IBSI2_CT")
    params["ibsi"] = {**params["ibsi"], "spacing": None}  # configuration A: no resampling, 2D filters
    params["ibsi_filters"] = [LOG_2D, LAWS_2D]
    return params


def test_ibsi_mode_computes_filtered_features_that_meet_phase2_references():
    image, mask = next((CT / "image").glob("*.nii.gz")), next((CT / "mask").glob("*.nii.gz"))
    features = extract_case(image, mask, _params(), "ct", mode="ibsi")["features"]
    names = [n for n in features if n.startswith("ibsi-")]
    assert {n.split("_")[0] for n in names} == {"ibsi-log-sigma1.5mm-trunc4-2d", "ibsi-laws-L5E5-energy7-invariant"}
    assert all(n.split("_")[1] == "firstorder" for n in names) and "original_firstorder_Mean" in features
    ref = pd.read_csv(SHARED / "ibsi2" / "phase2_reference_values.csv", sep=";").set_index(["filter_id", "feature_tag"])
    for config, prefix in (("3.A", "ibsi-log-sigma1.5mm-trunc4-2d"), ("4.A", "ibsi-laws-L5E5-energy7-invariant")):
        for tag, feature in (("stat_mean", "Mean"), ("stat_p90", "90Percentile"), ("stat_kurt", "Kurtosis"), ("stat_max", "Maximum")):
            row = ref.loc[(config, tag)]
            value = features[f"{prefix}_firstorder_{feature}"]
            assert within(value, row["consensus_value"], row["tolerance"]), (config, tag, value)  # kurtosis: excess
    table = feature_dictionary(names, "radiomics")
    assert set(table["filter"]) == {"IBSI 2 log filter: sigma1.5mm, trunc4, 2d", "IBSI 2 laws filter: L5E5, energy7, invariant"}


def test_default_mode_ignores_ibsi_filters():
    image, mask = next((CT / "image").glob("*.nii.gz")), next((CT / "mask").glob("*.nii.gz"))
    params = _params()
    with_list = extract_case(image, mask, params, "ct")["features"]
    params.pop("ibsi_filters")
    assert with_list == extract_case(image, mask, params, "ct")["features"]
    assert not any(n.startswith("ibsi-") for n in with_list)


def test_bad_filter_entry_names_the_problem():
    from radiodeep.errors import CaseError

    image, mask = next((CT / "image").glob("*.nii.gz")), next((CT / "mask").glob("*.nii.gz"))
    params = _params()
    params["ibsi_filters"] = [{"filter": "gabor", "wavelength": 2}]
    with pytest.raises(CaseError, match="unknown parameter"):
        extract_case(image, mask, params, "ct", mode="ibsi")


def test_workflow_batch_records_filtered_texture_features(cube_case, tmp_path):
    """What the workflow's radiomics rule runs: the config's preset (a file with ``ibsi_filters``)
    through ``params_from_config`` and ``run_batch``, on two workers."""
    import json

    import yaml

    from radiodeep.radiomics import run_batch
    from radiodeep.radiomics.presets import params_from_config, preset_hash

    preset = tmp_path / "filtered.yaml"
    preset.write_text(yaml.safe_dump({
        "imageType": {"Original": {}}, "featureClass": {"shape": None, "firstorder": None, "glcm": ["Contrast"]},
        "setting": {"binWidth": 0.5, "label": 1}, "ibsi": {"spacing": None},
        "ibsi_filters": [{"filter": "mean", "support": 3}, {"filter": "wavelet", "wavelet": "haar", "subband": "HHH"}],
    }))
    params = params_from_config({"preset": str(preset), "settings": None, "image_types": None}, "PET")
    image, mask = cube_case
    record = run_batch([("cube", image, mask, tmp_path / "cube.json")], params, mode="ibsi", workers=2)[0]
    assert json.loads((tmp_path / "cube.json").read_text())["features"] == record["features"]
    names = record["features"]
    for prefix in ("ibsi-mean-3-3d", "ibsi-wavelet-haar-HHH-level1-invariant"):
        assert f"{prefix}_glcm_Contrast" in names and f"{prefix}_firstorder_Mean" in names
        assert not any(n.startswith(f"{prefix}_shape") for n in names)  # shape: the original image's only
    assert names["ibsi-mean-3-3d_firstorder_Mean"] == pytest.approx(names["original_firstorder_Mean"], rel=0.2)
    assert abs(names["ibsi-wavelet-haar-HHH-level1-invariant_firstorder_Mean"]) < 0.5 * names["original_firstorder_Mean"]
    params.pop("ibsi_filters")
    assert record["preset_hash"] != preset_hash(params)  # provenance tells the two apart


def test_preset_with_a_bad_filter_entry_fails_on_loading(tmp_path):
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"imageType": {"Original": {}}, "ibsi_filters": [{"filter": "laws", "kernel": "X5"}]}))
    with pytest.raises(ValueError, match=r"radiomics preset .*bad.yaml: unknown Laws kernel 'X5'"):
        load_preset(path)
    assert len(load_preset("IBSI2_CT")["ibsi_filters"]) == 8
