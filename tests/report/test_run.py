"""The report describes the run that made the results, or refuses (issue 21, item 5)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from radiodeep.errors import RadiodeepError
from radiodeep.provenance import write_provenance
from radiodeep.report.run import check_report_config, read_run, run_description


@pytest.fixture
def recorded(tmp_path, cube_case):
    image, mask = cube_case
    manifest = pd.DataFrame({"case_id": ["A"], "image": [str(image)], "mask": [str(mask)]})
    config = {"manifest": "cohort/manifest.csv", "modality": "CT", "seed": 7, "label": "label",
              "model": {"folds": 3, "icc_threshold": 0.75}}
    out = tmp_path / "results" / "provenance.json"
    write_provenance(config, manifest, tmp_path, out)
    return config, out


def test_same_config_gives_the_run(recorded):
    config, path = recorded
    record = check_report_config(json.loads(json.dumps(config)), path)  # a JSON round trip changes nothing
    run = run_description(record)
    assert (run["manifest"], run["modality"], run["seed"]) == ("cohort/manifest.csv", "CT", 7)
    assert run["provenance_sha256"] == record["provenance_sha256"] and len(run["provenance_sha256"]) == 64


def test_another_config_is_refused_naming_what_differs(recorded):
    config, path = recorded
    demo = {**config, "manifest": "data/sts_pet/manifest.csv", "modality": "PET"}
    with pytest.raises(RadiodeepError) as err:
        check_report_config(demo, path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    assert "manifest: 'cohort/manifest.csv' in the run, 'data/sts_pet/manifest.csv' now" in message
    assert "modality: 'CT' in the run, 'PET' now" in message and "--configfile" in message


def test_many_differences_are_counted(recorded):
    config, path = recorded
    other = {**config, "seed": 1, "modality": "MR", "label": "y", "manifest": "m.csv", "model": {"folds": 9}}
    with pytest.raises(RadiodeepError, match=r"and 2 more\)"):  # 6 differ (icc_threshold removed), 4 shown
        check_report_config(other, path)


def test_missing_or_edited_record_is_refused(recorded, tmp_path):
    _, path = recorded
    with pytest.raises(RadiodeepError, match="no provenance record; run the workflow first"):
        read_run(tmp_path / "nowhere" / "provenance.json")
    record = json.loads(path.read_text())
    record["config"]["seed"] = 8
    path.write_text(json.dumps(record))
    with pytest.raises(RadiodeepError, match="does not match the record"):
        read_run(path)


@pytest.mark.slow
def test_report_without_the_run_options_is_refused(small_study):
    from tests.conftest import snakemake

    report = small_study / "results" / "report_other.html"
    proc = snakemake("--directory", str(small_study), "--cores", "2", "--report", str(report), check=False)
    assert proc.returncode != 0 and not report.exists()
    lines = [line for line in proc.stderr.splitlines() if "radiodeep:" in line]
    assert len(lines) == 1 and "the results were made with another configuration (manifest: " in lines[0]
    assert "data/sts_pet/manifest.csv' now" in lines[0] and "Traceback" not in proc.stderr
