"""No patient identity in outputs; de-identified header fields; DICOM-SEG round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pydicom
from typer.testing import CliRunner

from radiodeep.cli import app
from radiodeep.ingest import ingest_case
from radiodeep.ingest.header import hash_uid, write_qc_table
from tests.ingest.conftest import FAKE_ID, assert_no_identity, copy_case, fake_identity, read

runner = CliRunner()


def test_outputs_carry_no_patient_identity(tmp_path):
    case = copy_case(tmp_path / "in", "STS_002")
    fake_identity(case)
    out = tmp_path / "results" / "ingest"
    h = ingest_case(case / "image", case / "mask" / "RS.dcm", out / "C1", case_id="C1", uid_salt="s1")
    write_qc_table([out / "C1" / "header.json"], out / "qc.csv")
    assert assert_no_identity(tmp_path / "results") == 4
    uid = str(pydicom.dcmread(case / "image" / "000000.dcm").SeriesInstanceUID)
    assert h["series_uid_hash"] == hash_uid(uid, "s1") != hash_uid(uid, "s2")
    assert h["series_description"] == "[removed]"  # held the patient ID
    qc = pd.read_csv(out / "qc.csv")
    assert qc.loc[0, "manufacturer"] == "GE MEDICAL SYSTEMS" and qc.loc[0, "modality"] == "PT"
    assert qc.loc[0, "pixel_spacing"] == "5.46875 x 5.46875" and qc.loc[0, "roi_voxels"] == 555
    assert not any(c.lower().startswith(("patient", "accession", "birth")) for c in qc.columns if c != "patient_id")


def test_seg_export_round_trip(tmp_path):
    case = copy_case(tmp_path / "in", "STS_003")
    ingest_case(case / "image", case / "mask" / "RS.dcm", tmp_path / "rt", case_id="C1")
    res = runner.invoke(app, ["export-seg", str(case / "image"), str(tmp_path / "rt" / "mask.nii.gz"),
                              "-o", str(tmp_path / "seg.dcm"), "--label", "GTV"])
    assert res.exit_code == 0, res.output
    seg = pydicom.dcmread(tmp_path / "seg.dcm")
    assert seg.Modality == "SEG" and seg.SegmentSequence[0].SegmentLabel == "GTV"
    h = ingest_case(case / "image", tmp_path / "seg.dcm", tmp_path / "back", case_id="C1", roi="GTV")
    first, back = read(tmp_path / "rt" / "mask.nii.gz"), read(tmp_path / "back" / "mask.nii.gz")
    assert first.sum() == 817 and np.array_equal(first, back)
    assert h["mask_format"] == "seg"


def test_cli_ingest_dicom_with_roi(tmp_path):
    case = copy_case(tmp_path / "in", "STS_008")
    res = runner.invoke(app, ["ingest", str(case / "image"), "--mask", str(case / "mask" / "RS.dcm"),
                              "--roi", "gtv_mass.*", "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "out" / "header.json").read_text())["roi_voxels"] == 388
    bad = runner.invoke(app, ["ingest", str(case / "image"), "--mask", str(case / "mask" / "RS.dcm"),
                              "--roi", "Liver", "-o", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "ROIs present: 'GTV_Mass_PET'" in bad.output
    assert FAKE_ID not in bad.output
