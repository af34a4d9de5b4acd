"""Batch entries of ingest and preprocess: one process, one batch record, each case's failure its own."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.ingest import ingest_batch, ingest_case
from radiodeep.io import sha256_file
from radiodeep.preprocess import preprocess_batch
from radiodeep.radiomics.batches import even_batches
from radiodeep.records import failed_cases, output_paths, write_outputs_record, write_qc_table
from tests.conftest import DEMO

SETTINGS = {"modality": "PET", "spacing": [4.0, 4.0, 4.0], "interpolator": "linear", "mr_reference": "body"}


def demo_row(cid: str) -> dict:
    return {"case_id": cid, "image": str(DEMO / cid / "PET_image.nii.gz"), "mask": str(DEMO / cid / "PET_mask.nii.gz")}


@pytest.fixture
def cases(tmp_path) -> list[dict]:
    """Two demo cases and a 4D image between them."""
    img = sitk.ReadImage(str(DEMO / "STS_002" / "PET_image.nii.gz"))
    sitk.WriteImage(sitk.JoinSeries([img, img]), str(tmp_path / "4d.nii.gz"))
    return [demo_row("STS_001"), {**demo_row("STS_002"), "case_id": "BAD", "image": str(tmp_path / "4d.nii.gz")},
            demo_row("STS_003")]


def test_ingest_batch_equals_per_case_and_records_hashes(cases, tmp_path):
    out = tmp_path / "ingest"
    (out / "BAD").mkdir(parents=True)
    (out / "BAD" / "image.nii").write_bytes(b"stale output of an earlier run")
    record = ingest_batch(cases, out, tmp_path / "ingest_1.json", on_error="skip", modality="PET")
    assert json.loads((tmp_path / "ingest_1.json").read_text()) == json.loads(json.dumps(record))
    assert [c["status"] for c in record["cases"].values()] == ["ok", "failed", "ok"]
    assert record["cases"]["BAD"]["reason"].startswith(f"case BAD, file {tmp_path / '4d.nii.gz'}")
    assert not (out / "BAD" / "image.nii").exists()  # no stale image beside a failure record
    ok = record["cases"]["STS_003"]["sha256"]
    assert ok == {k: sha256_file(out / "STS_003" / f) for k, f in
                  (("fingerprint", "fingerprint.npz"), ("header", "header.json"), ("image", "image.nii"), ("mask", "mask.nii"))}
    alone = ingest_case(cases[2]["image"], cases[2]["mask"], tmp_path / "alone", case_id="STS_003", modality="PET",
                         suffix=".nii", fingerprint=True)
    assert json.loads((out / "STS_003" / "header.json").read_text()) == json.loads(json.dumps(alone))
    assert sha256_file(tmp_path / "alone" / "image.nii") == ok["image"]
    assert sha256_file(tmp_path / "alone" / "fingerprint.npz") == ok["fingerprint"]  # no timestamp in it
    assert failed_cases([record]) == {"BAD": f"ingest: {record['cases']['BAD']['reason']}"}


def test_ingest_batch_fail_names_case_file_and_fix(cases, tmp_path):
    with pytest.raises(CaseError) as err:
        ingest_batch(cases, tmp_path / "ingest", tmp_path / "ingest_1.json", modality="PET")
    msg = str(err.value)
    assert msg.startswith(f"case BAD, file {tmp_path / '4d.nii.gz'}: ") and "set on_error: skip" in msg
    assert "\n" not in msg and not (tmp_path / "ingest_1.json").exists()
    assert (tmp_path / "ingest" / "STS_001" / "image.nii").exists()  # cases before it were done


def test_preprocess_batch_skips_upstream_and_own_failures(cases, tmp_path):
    ingest = ingest_batch(cases, tmp_path / "ingest", tmp_path / "ingest_1.json", on_error="skip", modality="PET")
    mask = sitk.ReadImage(str(tmp_path / "ingest" / "STS_003" / "mask.nii"))
    dot = np.zeros(sitk.GetArrayViewFromImage(mask).shape, np.uint8)
    dot[5, 5, 5] = 1  # one voxel: 24 mm resampling loses it
    one = sitk.GetImageFromArray(dot)
    one.CopyInformation(mask)
    sitk.WriteImage(one, str(tmp_path / "ingest" / "STS_003" / "mask.nii"))
    rows = [{"case_id": c["case_id"], "has_reference_mask": True} for c in cases]
    record = preprocess_batch(rows, tmp_path / "ingest", tmp_path / "pre", tmp_path / "pre_1.json",
                              {**SETTINGS, "spacing": [24.0, 24.0, 24.0]}, upstream=failed_cases([ingest]), on_error="skip")
    status = {c: e["status"] for c, e in record["cases"].items()}
    assert status == {"STS_001": "ok", "BAD": "failed", "STS_003": "excluded"}  # NoRoi: excluded, not an error
    assert record["cases"]["BAD"]["reason"].startswith("not run: failed in ingest: case BAD")
    assert "no voxel left on the grid" in record["cases"]["STS_003"]["reason"]
    assert sorted(p.name for p in (tmp_path / "pre").iterdir()) == ["STS_001"]
    qc = write_qc_table([tmp_path / "ingest_1.json", tmp_path / "pre_1.json"], tmp_path / "qc.csv")
    assert qc[["case_id", "stage", "status"]].values.tolist() == [
        ["BAD", "ingest", "failed"], ["BAD", "preprocess", "failed"], ["STS_001", "ingest", "ok"],
        ["STS_001", "preprocess", "ok"], ["STS_003", "ingest", "ok"], ["STS_003", "preprocess", "excluded"]]


def test_even_batches_fill_every_core():
    cases = [f"c{i}" for i in range(1020)]
    for size, cores, k in [(30, 1, 34), (30, 2, 34), (30, 4, 36), (30, 16, 48), (2000, 2, 2), (1, 2, 1020)]:
        batches = even_batches(cases, size, cores)
        assert len(batches) == k and sum(batches, []) == cases
        assert max(map(len, batches)) <= size and max(map(len, batches)) - min(map(len, batches)) <= 1
    assert [len(b) for b in even_batches(cases[:3], 30, 8)] == [1, 1, 1]
    with pytest.raises(ValueError, match="cores"):
        even_batches(cases, 30, 0)


def test_outputs_record_lists_each_case_file_with_its_hash(tmp_path):
    files = {}
    for case in ("B", "A"):
        files[case] = tmp_path / f"{case}.json"
        files[case].write_text(json.dumps({"case_id": case}))
    write_outputs_record("radiomics", files, tmp_path / "batch_1.json")
    rec = json.loads((tmp_path / "batch_1.json").read_text())
    assert rec["outputs"]["A"]["sha256"] == sha256_file(files["A"]) != rec["outputs"]["B"]["sha256"]
    assert output_paths([tmp_path / "batch_1.json"], ["A", "B"]) == [str(files["A"]), str(files["B"])]
    with pytest.raises(KeyError, match="case\\(s\\) C"):
        output_paths([tmp_path / "batch_1.json"], ["A", "C"])
