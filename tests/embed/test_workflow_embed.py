"""The embed rules under Snakemake on 3 demo cases (a tiny U-Net stands in for the trained one)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from radiodeep.io import sha256_file
from tests.conftest import LIGHT_STAGES, copy_demo_subset
from tests.workflow.test_workflow import snakemake

pytestmark = pytest.mark.slow


def test_embed_rules_on_six_cases(tmp_path, unet_checkpoint):
    # six: two positive patients, the fewest the outcome check accepts before any job
    manifest = copy_demo_subset(tmp_path / "cohort", 6)
    seg = tmp_path / "unet"  # a user's own U-Net: no rule of this run makes it
    study = {"manifest": str(manifest), **LIGHT_STAGES, "embed": {"levels": ["enc2", "enc3"], "checkpoint": str(seg / "model.pt")}}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study))
    args = ("--directory", str(tmp_path), "--configfile", str(tmp_path / "study.yaml"))
    target = ("--", "results/features/deep.parquet")

    # before the U-Net exists: random needs none; resnet with a missing weights file stops before any job
    snakemake(*args, "-n", "--config", "embed={'backbone': 'random'}", *target)
    proc = snakemake(*args, "-n", "--config", "embed={'backbone': 'resnet', 'weights': 'w/fmcib.torch'}", *target, check=False)
    assert proc.returncode != 0 and "w/fmcib.torch" in proc.stdout + proc.stderr
    proc = snakemake(*args, "-n", *target, check=False)
    assert proc.returncode != 0 and str(seg / "model.pt") in proc.stdout + proc.stderr

    seg.mkdir(parents=True)
    for suffix in (".pt", ".json"):
        (seg / f"model{suffix}").write_bytes(unet_checkpoint.with_suffix(suffix).read_bytes())
    snakemake(*args, "--cores", "2", *target)
    # the embed job's one declared output lists each case's JSON with its SHA-256 (snakemake#4240)
    listed = json.loads((tmp_path / "results" / "embed" / "batches" / "embed.json").read_text())["outputs"]
    assert sorted(listed) == sorted(pd.read_csv(manifest)["case_id"])
    assert all(e["sha256"] == sha256_file(tmp_path / e["path"]) for e in listed.values())
    wide = pd.read_csv(tmp_path / "results" / "features" / "deep.csv")
    assert wide.shape == (6, 3 + 8 + 16) and list(wide.columns[:4]) == ["case_id", "patient_id", "roi", "deep-unet_enc2_f0000"]
    assert not wide.isna().any().any()
    parquet = pd.read_parquet(tmp_path / "results" / "features" / "deep.parquet")
    assert (parquet.iloc[:, 3:].to_numpy() == wide.iloc[:, 3:].to_numpy()).all()
    dictionary = pd.read_csv(tmp_path / "results" / "features" / "deep_dictionary.csv")
    assert list(dictionary["column"]) == list(wide.columns[3:])
    assert set(dictionary["weights_sha256"]) == {sha256_file(seg / "model.pt")}
    assert set(dictionary["layer"]) == {"enc2", "enc3"} and set(dictionary["pooling"]) == {"masked"}
