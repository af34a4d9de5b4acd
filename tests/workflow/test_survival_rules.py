"""The survival and clinical_ablation rules: planned when configured (the demo's own dry run,
tests/workflow/test_workflow.py, has neither); a bad time/event column
stops the run before any job with the row and column named."""

import pandas as pd
import pytest
import yaml

from tests.conftest import snakemake

pytestmark = pytest.mark.slow


def study(tmp_path, demo_dir, times=None):
    m = pd.read_csv(demo_dir / "manifest.csv").head(12)
    for col in ("image", "mask"):
        m[col] = [str(demo_dir / p) for p in m[col]]
    m["os_days"] = times or [str(100 + 50 * i) for i in range(len(m))]
    m["death"] = [i % 2 for i in range(len(m))]
    m["grade"] = ["High", "Low", "Intermediate"] * 4
    m.to_csv(tmp_path / "manifest.csv", index=False)
    cfg = {"manifest": str(tmp_path / "manifest.csv"), "segment": {"enabled": False, "mask_source": "reference"},
           "model": {"feature_sets": ["handcrafted"]},
           "survival": {"endpoints": {"os": {"time": "os_days", "event": "death"}}, "ablation": True,
                        "feature_sets": ["clinical", "clinical+handcrafted"], "clinical": {"categorical": ["grade"]}}}
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(cfg))
    return ["--directory", str(tmp_path), "--configfile", str(tmp_path / "study.yaml")]


def test_rules_planned_when_configured(tmp_path, demo_dir):
    out = snakemake("-n", "--cores", "2", *study(tmp_path, demo_dir)).stdout
    assert "rule survival:" in out and "rule clinical_ablation:" in out
    assert "results/evaluation/survival_metrics.csv" in out and "results/evaluation/clinical_ablation.csv" in out


def test_bad_time_column_stops_before_any_job(tmp_path, demo_dir):
    times = ["120", "0", "90", "abc"] + [str(100 + i) for i in range(8)]
    proc = snakemake("--cores", "1", *study(tmp_path, demo_dir, times), check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "row 2 (line 3, case_id 'STS_002'), column os_days: time 0 must be > 0" in text
    assert "row 4 (line 5, case_id 'STS_004'), column os_days: time 'abc' is not a number" in text
    assert not (tmp_path / "results").exists()
