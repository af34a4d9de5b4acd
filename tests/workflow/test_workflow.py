"""Snakemake on a 12-case subset of the demo cohort, lint, and a dry run of the full demo."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
import yaml

from tests.conftest import radiomics_jobs, snakemake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_run(small_study):
    return small_study


def test_small_cohort_outputs(small_run):
    res = small_run / "results"
    wide = pd.read_csv(res / "features" / "radiomics.csv")
    assert len(wide) == 12 and list(wide.columns[:3]) == ["case_id", "patient_id", "roi"]
    assert wide.filter(like="original_").shape[1] == 107
    assert len(pd.read_parquet(res / "features" / "features_long.parquet")) == 12 * 107
    assert (pd.read_csv(res / "features" / "qc.csv")["status"] == "ok").all()
    metrics = pd.read_csv(res / "evaluation" / "metrics.csv")
    assert len(metrics) == 1
    row = metrics.iloc[0]
    assert 0.0 <= row.auc_ci_low <= row.auc <= row.auc_ci_high <= 1.0
    assert (row.n, row.n_pos) == (12, 4)
    assert (res / "evaluation" / "roc.png").stat().st_size > 10_000
    oof = pd.read_csv(res / "evaluation" / "oof_predictions.csv")
    assert len(oof) == 12 * 2
    for stage in ("ingest", "preprocess"):  # 12 cases, ingest.batch_size 30, 2 cores: 2 batch jobs each
        assert sorted(p.name for p in (res / "benchmarks" / stage).glob("*.tsv")) == [f"{stage}_1.tsv", f"{stage}_2.tsv"]
        record = json.loads((res / stage / "batches" / f"{stage}_1.json").read_text())
        assert len(record["cases"]) == 6 and all(c["status"] == "ok" for c in record["cases"].values())
    assert len(list((res / "benchmarks" / "radiomics").glob("*.tsv"))) == 4  # 12 cases, batch_size 3
    # each radiomics job's one declared output lists its 3 cases' JSON files with their SHA-256
    batches = sorted((res / "radiomics" / "batches").glob("radiomics_*.json"))
    listed = [e for b in batches for e in json.loads(b.read_text())["outputs"].values()]
    assert len(batches) == 4 and len(listed) == 12
    assert all(e["sha256"] == hashlib.sha256((small_run / e["path"]).read_bytes()).hexdigest() for e in listed)
    prov = yaml.safe_load((res / "provenance.json").read_text())
    assert len(prov["inputs"]) == 12 and len(prov["config_sha256"]) == 64
    assert prov["device"]["torch"] == "not used by this run"  # no U-Net, no deep features: torch not imported


def test_batched_rule_records_equal_the_per_case_path(small_run, tmp_path):
    """The workflow's batch jobs write, per case, what run_case writes for that case alone."""
    from radiodeep.radiomics import run_case
    from radiodeep.radiomics.presets import params_from_config

    res = small_run / "results"
    config = yaml.safe_load((small_run / "study.yaml").read_text())
    params = params_from_config({"preset": None, "settings": {}, "image_types": None}, "PET")
    jsons = sorted((res / "radiomics").glob("*.json"))
    assert len(jsons) == 12 and config["radiomics"]["batch_size"] == 3
    for path in jsons[:2] + jsons[-1:]:
        case = path.stem
        alone = run_case(res / "preprocess" / case / "image.nii", res / "preprocess" / case / "mask.nii",
                         tmp_path / f"{case}.json", params, case)
        assert json.loads(path.read_text()) == json.loads((tmp_path / f"{case}.json").read_text())
        assert alone["status"] == "ok" and len(alone["features"]) == 107


def test_report_builds(small_study_report):
    html = small_study_report.read_text()
    assert "metrics.csv" in html and "roc.png" in html


def test_full_demo_dry_run_and_lint(tmp_path):
    out = snakemake("-n", "--cores", "2", "--directory", str(tmp_path))
    counts = {line.split()[0]: line.split()[1] for line in out.stdout.splitlines() if len(line.split()) == 2 and line.split()[1].isdigit()}
    # 51 cases in ceil(51 / 30) = 2 jobs per batched stage (batch_size 30, 2 cores), one record per job
    assert radiomics_jobs(counts, "ingest") == radiomics_jobs(counts, "preprocess") == 2
    assert radiomics_jobs(counts) == 2 and counts["model"] == "1"
    assert all(f"results/radiomics/batches/radiomics_{i}.json" in out.stdout for i in (1, 2))
    assert "results/radiomics/STS_001.json" not in out.stdout  # not a declared output (snakemake#4240)
    lint = snakemake("--lint", "--directory", str(tmp_path), check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize(
    "bad_row, message",
    [
        ("dup", "column case_id: duplicate case_id"),
        ("missing", "column image: image not found"),
        ("label", "column label: label '3' is not binary"),
        ("unsafe", "column case_id: unsafe id '../STS_001'"),
    ],
)
def test_bad_manifest_stops_before_any_work(tmp_path, demo_dir, bad_row, message):
    m = pd.read_csv(demo_dir / "manifest.csv").head(6)
    m["image"] = [str(demo_dir / p) for p in m["image"]]
    m["mask"] = [str(demo_dir / p) for p in m["mask"]]
    if bad_row == "dup":
        m.loc[3, "case_id"] = "STS_001"
    elif bad_row == "missing":
        m.loc[3, "image"] = str(tmp_path / "nowhere.nii.gz")
    elif bad_row == "label":
        m.loc[3, "label"] = 3
    else:
        m.loc[0, "case_id"] = "../STS_001"
    m.to_csv(tmp_path / "manifest.csv", index=False)
    proc = snakemake("--cores", "1", "--directory", str(tmp_path), "--config", f"manifest={tmp_path / 'manifest.csv'}", check=False)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert message in text
    assert "row " in text
    assert not (tmp_path / "results").exists()
