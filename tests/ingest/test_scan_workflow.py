"""`radiodeep manifest` on a DICOM tree, and its draft manifest run unedited through the workflow."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from radiodeep.cli import app
from radiodeep.manifest import read_manifest
from tests.conftest import LIGHT_STAGES
from tests.ingest.conftest import (
    FAKE_ID,
    STS,
    add_second_series,
    assert_no_identity,
    copy_case,
    fake_identity,
    read,
)
from tests.workflow.test_workflow import snakemake

runner = CliRunner()


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """STS_001, 002, 006 (+ a second series in its image folder), 009, and STS_003 under a fake identity."""
    root = tmp_path_factory.mktemp("dicom")
    for case in ("STS_001", "STS_002", "STS_006", "STS_009"):
        copy_case(root, case)
    fake = copy_case(root, "STS_003")
    fake_identity(fake)
    second_uid = add_second_series(root / "STS_006" / "image")
    outcome = pd.read_csv(STS / "outcome.csv")
    outcome.loc[len(outcome)] = [FAKE_ID, 0]
    outcome.to_csv(root.parent / "outcome.csv", index=False)
    return root, second_uid


def test_manifest_from_tree(tree, tmp_path):
    root, second_uid = tree
    out = tmp_path / "manifest.csv"
    res = runner.invoke(app, ["manifest", str(root), "-o", str(out), "--outcome", str(root.parent / "outcome.csv")])
    assert res.exit_code == 0, res.output
    assert "6 image series, 5 patients, 6 with a mask" in res.output
    m = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(m.columns[:4]) == ["case_id", "patient_id", "image", "mask"]
    assert (m["roi"] == "GTV_Mass_PET").all() and m["mask"].str.endswith("RS.dcm").all()
    assert second_uid in set(m["series_uid"])
    pair = m[m["series_uid"] == second_uid].iloc[0]
    assert (m["patient_id"] == pair["patient_id"]).sum() == 2 and pair["case_id"].endswith("_s2")
    assert sorted(m["label"].astype(int)) == [0, 0, 0, 1, 1, 1]
    assert not m.apply(lambda col: col.str.contains(FAKE_ID)).any().any()
    assert len(read_manifest(out)) == 6


@pytest.mark.slow
def test_draft_manifest_runs_unedited_through_workflow(tree, tmp_path):
    root, second_uid = tree
    work = tmp_path / "work"
    work.mkdir()
    manifest = work / "manifest.csv"
    assert runner.invoke(app, ["manifest", str(root), "-o", str(manifest), "--outcome", str(root.parent / "outcome.csv")]).exit_code == 0
    cfg = {"manifest": str(manifest), **LIGHT_STAGES, "model": {"folds": 2, "repeats": 1, "inner_folds": 2, "feature_sets": ["handcrafted"]}, "evaluate": {"n_bootstrap": 100}}
    (work / "study.yaml").write_text(yaml.safe_dump(cfg))
    # every stage up to the feature tables; the model needs more than 2 positive patients to tune
    targets = ["results/features/radiomics.parquet", "results/ingest/qc.csv", "results/provenance.json"]
    snakemake(*targets, "--directory", str(work), "--cores", "2", "--configfile", str(work / "study.yaml"))
    res = work / "results"
    m = pd.read_csv(manifest, dtype=str)
    qc = pd.read_csv(res / "ingest" / "qc.csv")
    assert sorted(qc["case_id"]) == sorted(m["case_id"]) and (qc["units"] == "SUVbw").all()
    first, second = m[m["patient_id"] == m.loc[m["series_uid"] == second_uid, "patient_id"].iloc[0]]["case_id"]
    a, b = read(res / "ingest" / first / "image.nii"), read(res / "ingest" / second / "image.nii")
    assert abs(b.max() / a.max() - 1.1) < 1e-4  # the series_uid column picked each series
    wide = pd.read_csv(res / "features" / "radiomics.csv")
    assert sorted(wide["case_id"]) == sorted(m["case_id"]) and wide.filter(like="original_").shape[1] == 107
    assert assert_no_identity(res) > 30
