"""Dry runs: the default (mask_source reference) adds no segmentation job; `both` wires radiomics
per mask source (batch jobs, one JSON per case) and the stability table; `cuda` declares a GPU resource."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, radiomics_jobs

pytestmark = pytest.mark.slow


def dry_run(tmp_path: Path, segment: dict | None) -> str:
    cfg = tmp_path / "study.yaml"
    study = {"segment": segment} if segment else {"segment": {"enabled": False, "mask_source": "reference"}}
    study["model"] = {"feature_sets": ["handcrafted"]}  # deep features would need the U-Net
    cfg.write_text(yaml.safe_dump(study))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-n", "--cores", "2",
                           "--directory", str(tmp_path), "--configfile", str(cfg)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def counts(out: str) -> dict[str, int]:
    return {p[0]: int(p[1]) for p in (line.split() for line in out.splitlines()) if len(p) == 2 and p[1].isdigit()}


def test_reference_without_segmentation_has_no_segmentation_jobs(tmp_path):
    c = counts(dry_run(tmp_path, None))
    assert radiomics_jobs(c) == 2 and "train_segmenter" not in c and not radiomics_jobs(c, "radiomics_predicted")


def test_both_runs_radiomics_per_mask_source_and_stability(tmp_path):
    out = dry_run(tmp_path, {"mask_source": "both", "device": "cuda"})
    c = counts(out)
    # 51 cases, radiomics.batch_size 30: 2 batch jobs per mask source
    assert c["train_segmenter"] == 1 and radiomics_jobs(c) == 2 and radiomics_jobs(c, "radiomics_predicted") == 2
    assert all(f"results/radiomics/predicted/batches/radiomics_predicted_{i}.json" in out for i in (1, 2))
    assert c["feature_stability"] == 1 and "segment" not in c  # every demo case has a reference mask
    assert "results/features/stability.csv" in out and "gpu=1" in out


def test_predicted_uses_the_unet_masks(tmp_path):
    out = dry_run(tmp_path, {"mask_source": "predicted"})
    assert "results/segmentation/predicted/STS_001/mask.nii.gz" in out
    assert radiomics_jobs(counts(out)) == 2 and not radiomics_jobs(counts(out), "radiomics_predicted")
