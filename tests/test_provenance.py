"""Provenance record: config hash, seeds, input hashes, and the hash that links tables to a run."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from radiodeep.errors import RadiodeepError
from radiodeep.io import read_json
from radiodeep.provenance import (
    config_hash,
    input_hashes,
    iter_seeds,
    provenance_hash,
    provenance_table,
    uses_torch,
    write_provenance,
)
from tests.conftest import REPO


@pytest.fixture
def record(tmp_path, cube_case):
    image, mask = cube_case
    manifest = pd.DataFrame({"case_id": ["c1", "c2"], "image": [str(image)] * 2, "mask": [str(mask), ""]})
    config = {"seed": 7, "model": {"folds": 3, "split_seed": 11}, "radiomics": {"settings": {}}}
    out = tmp_path / "provenance.json"
    return write_provenance(config, manifest, REPO, out), out, image


def test_record_content(record):
    prov, out, image = record
    assert json.loads(out.read_text()) == prov
    assert prov["inputs"]["c1"]["image_sha256"] == hashlib.sha256(image.read_bytes()).hexdigest()
    assert prov["inputs"]["c2"]["mask_sha256"] == ""
    assert prov["seeds"]["seed"] == 7 and prov["seeds"]["model.split_seed"] == 11
    assert prov["config_sha256"] == config_hash(prov["config"])
    assert len(prov["git"]["commit"]) == 40  # the repository is a git checkout
    assert prov["device"]["device"] in ("cpu", "cuda")
    assert "numpy" in prov["packages"] and "scikit-learn" in prov["packages"]


def test_torch_recorded_only_for_runs_that_use_a_network(record):
    prov, _, _ = record  # segment.enabled defaults to true: the U-Net runs
    assert "torch_threads" in prov["device"] and "cuda_available" in prov["device"]
    radiomics_only = {"segment": {"enabled": False}, "model": {"feature_sets": ["handcrafted"]}}
    assert not uses_torch(radiomics_only)
    assert uses_torch({**radiomics_only, "model": {"feature_sets": ["early_fusion"], "fusion_sources": ["handcrafted", "deep"]}})
    assert not uses_torch({**radiomics_only, "model": {"feature_sets": ["early_fusion"], "fusion_sources": ["handcrafted", "clinical"]}})
    assert uses_torch({**radiomics_only, "model": {"feature_sets": ["deep"]}})


def test_hash_ignores_time_and_detects_edits(record):
    prov, out, _ = record
    assert provenance_hash(out) == prov["provenance_sha256"]
    edited = dict(prov, created_utc="1999-01-01T00:00:00+00:00")
    out.write_text(json.dumps(edited))
    assert provenance_hash(out) == prov["provenance_sha256"]
    out.write_text(json.dumps(dict(prov, seeds={"seed": 8})))
    with pytest.raises(RadiodeepError, match="does not match"):
        provenance_hash(out)


def test_config_hash_order_free_and_value_sensitive():
    assert config_hash({"a": 1, "b": {"c": 2, "d": 3}}) == config_hash({"b": {"d": 3, "c": 2}, "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})
    assert list(iter_seeds({"seed": 1, "x": {"seed": 2, "y": 3}})) == [("seed", 1), ("x.seed", 2)]


def test_provenance_table_flat(record):
    table = provenance_table(record[0]).set_index("field")["value"]
    assert table.index[0] == "provenance_sha256"
    assert table["config.model.folds"] == "3" and table["config.radiomics.settings"] == "{}"
    assert table["inputs.c1.mask_sha256"] == record[0]["inputs"]["c1"]["mask_sha256"]


def test_symlinked_inputs_are_resolved_in_the_provenance(tmp_path, cube_case):
    image, mask = cube_case
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "real.nii.gz"
    target.write_bytes(image.read_bytes())
    (tmp_path / "linked.nii.gz").symlink_to(target)
    manifest = pd.DataFrame({"case_id": ["c1", "c2"], "image": [str(tmp_path.resolve() / "linked.nii.gz"), str(image.resolve())],
                             "mask": [str(mask.resolve()), ""]})
    inputs = input_hashes(manifest)
    assert inputs["c1"]["image_resolved"] == str(target.resolve())
    assert inputs["c1"]["image_sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert "mask_resolved" not in inputs["c1"] and "image_resolved" not in inputs["c2"]


@pytest.mark.slow
def test_provenance_of_finds_the_run_in_metrics_and_every_evaluation_table(small_study):
    """README's promise: `radiodeep provenance-of` names the run for the tables a reader receives."""
    from typer.testing import CliRunner

    from radiodeep.cli import app

    res = small_study / "results"
    run_hash = read_json(res / "provenance.json")["provenance_sha256"]
    for table in ("evaluation/metrics.csv", "evaluation/delong.csv", "evaluation/oof_predictions.csv",
                  "features/radiomics.csv", "features/radiomics.parquet"):
        out = CliRunner().invoke(app, ["provenance-of", str(res / table)])
        assert out.exit_code == 0 and run_hash in out.output, (table, out.output)
