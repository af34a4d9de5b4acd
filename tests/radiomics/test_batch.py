"""A batch of cases in one process (the workflow's radiomics jobs): one record per case, equal
to the per-case path; a bad case is skipped alone or stops the batch naming the case and file."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.images import read_image
from radiodeep.radiomics import load_preset, run_batch, run_case
from radiodeep.radiomics.batches import even_batches, planned_batch_size
from tests.conftest import DEMO, make_volume

CASES = ["STS_001", "STS_002", "STS_003"]


def demo(case: str) -> tuple[str, str]:
    return str(DEMO / case / "PET_image.nii.gz"), str(DEMO / case / "PET_mask.nii.gz")


def test_even_batches():
    cases = [f"c{i:02d}" for i in range(51)]
    for size in (1, 7, 25, 26, 30, 51, 100):
        batches = even_batches(cases, size)
        assert len(batches) == -(-51 // size)
        assert sum(batches, []) == cases  # consecutive, in order, each case once
        assert max(map(len, batches)) - min(map(len, batches)) <= 1 and max(map(len, batches)) <= size
    assert even_batches([], 5) == []
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        even_batches(cases, 0)


def test_planned_batch_size_one_batch_per_core_within_bounds():
    # auto on one machine: one batch per core, 30-250 cases; even_batches then rounds the count
    # up to a multiple of the cores
    plan = {(n, cores): len(even_batches(list(range(n)), planned_batch_size("auto", n, cores), cores))
            for n in (12, 51, 204, 1020, 2000) for cores in (1, 2, 8)}
    assert plan[(204, 2)] == 2 and plan[(1020, 2)] == 6 and plan[(2000, 1)] == 8  # 102, 170, 250 cases
    assert plan[(51, 2)] == 2 and plan[(12, 2)] == 2 and plan[(204, 8)] == 8 and plan[(1020, 8)] == 8
    assert all(k % cores == 0 or k == n for (n, cores), k in plan.items())
    assert planned_batch_size("auto", 1020, 2, cluster=True) == 30  # many small jobs over the nodes
    assert planned_batch_size(7, 1020, 2) == planned_batch_size(7, 1020, 2, cluster=True) == 7  # as set


def test_batch_records_equal_the_per_case_path(tmp_path):
    params = load_preset("PET")
    jobs = [(c, *demo(c), tmp_path / "batch" / f"{c}.json") for c in CASES]
    records = run_batch(jobs, params)
    assert [r["case_id"] for r in records] == CASES
    for case, image, mask, out in jobs:
        single = run_case(image, mask, tmp_path / "single" / f"{case}.json", params, case)
        assert json.loads(out.read_text()) == json.loads((tmp_path / "single" / f"{case}.json").read_text())
        assert single["status"] == "ok" and len(single["features"]) == 107
    # each case its own values (not the previous case's, from a reused extractor)
    volumes = [json.loads(out.read_text())["features"]["original_shape_VoxelVolume"] for *_, out in jobs]
    assert len(set(volumes)) == 3


@pytest.fixture
def batch_with_bad_case(tmp_path):
    """STS_001, a case whose mask is empty, STS_002."""
    image, mask = demo("STS_001")
    ref = read_image(image)
    empty = np.zeros(sitk.GetArrayViewFromImage(ref).shape, np.uint8)
    bad_mask = make_volume(tmp_path / "bad" / "mask.nii.gz", empty, dtype=sitk.sitkUInt8)
    bad = sitk.ReadImage(str(bad_mask))
    bad.CopyInformation(ref)
    sitk.WriteImage(bad, str(bad_mask))
    out = tmp_path / "out"
    return [("STS_001", image, mask, out / "STS_001.json"), ("BAD_9", image, str(bad_mask), out / "BAD_9.json"),
            ("STS_002", *demo("STS_002"), out / "STS_002.json")], out


def test_bad_case_skipped_alone(batch_with_bad_case):
    jobs, out = batch_with_bad_case
    records = run_batch(jobs, load_preset("PET"), on_error="skip")
    assert [r["status"] for r in records] == ["ok", "skipped", "ok"]
    bad = json.loads((out / "BAD_9.json").read_text())
    assert bad["features"] == {} and "case BAD_9, file" in bad["reason"] and "mask is empty" in bad["reason"]
    assert len(json.loads((out / "STS_002.json").read_text())["features"]) == 107


def test_bad_case_stops_the_batch_naming_it(batch_with_bad_case):
    jobs, out = batch_with_bad_case
    threads = sitk.ProcessObject_GetGlobalDefaultNumberOfThreads()
    with pytest.raises(CaseError, match=r"case BAD_9, file .*bad/mask.nii.gz: mask is empty"):
        run_batch(jobs, load_preset("PET"), on_error="fail")
    # the case before it is complete, nothing of it or after it was written, no temporary file left
    assert len(json.loads((out / "STS_001.json").read_text())["features"]) == 107
    assert sorted(p.name for p in out.iterdir()) == ["STS_001.json"]
    assert sitk.ProcessObject_GetGlobalDefaultNumberOfThreads() == threads  # restored
