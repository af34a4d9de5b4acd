"""``on_error`` in every batched per-case stage, through Snakemake on demo cases made bad on purpose.

``skip``: the run completes; each bad case is listed in results/report/excluded_cases.csv with
the stage where it failed and the reason (and in that stage's QC table); the others' features
equal a run without the bad cases. ``fail``: the run stops at the first bad case with a one-line
error naming the case, the file and the fix, before any cohort-level job.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
import yaml

from radiodeep.io import read_table_metadata
from tests.conftest import DEMO, LIGHT_STAGES, snakemake

pytestmark = pytest.mark.slow

GOOD = [f"STS_{i:03d}" for i in range(1, 15) if i != 4]  # 13 good cases; STS_004 lends the bad ones its files
UNLABELLED = "STS_015"  # a good case whose label cell is empty: processed, listed as not modelled
TARGETS = ["results/features/radiomics.csv", "results/report/excluded_cases.csv", "results/ingest/qc.csv"]


def make_cohort(work) -> None:
    """The 20-case cohort of issue 21: 13 good demo cases, one without a label, and 6 bad ones: a
    4D image, a truncated .gz, a mask holding only label 2, an image with NaN voxels and an
    all-zero image (ingest), a one-voxel ROI that resampling to 12 mm loses (preprocess: excluded)."""
    rows = []
    for cid in [*GOOD, UNLABELLED]:
        shutil.copytree(DEMO / cid, work / "cohort" / cid)
        rows.append((cid, f"{cid}/PET_image.nii.gz", f"{cid}/PET_mask.nii.gz"))
    image = sitk.ReadImage(str(DEMO / "STS_004" / "PET_image.nii.gz"))
    mask = sitk.ReadImage(str(DEMO / "STS_004" / "PET_mask.nii.gz"))
    (work / "cohort" / "bad").mkdir()
    sitk.WriteImage(sitk.JoinSeries([image, image]), str(work / "cohort" / "bad" / "4d.nii.gz"))
    data = (DEMO / "STS_004" / "PET_image.nii.gz").read_bytes()
    (work / "cohort" / "bad" / "truncated.nii.gz").write_bytes(data[: len(data) // 2])
    dot = np.zeros(sitk.GetArrayViewFromImage(mask).shape, np.uint8)
    dot[10, 10, 10] = 1
    one = sitk.GetImageFromArray(dot)
    one.CopyInformation(mask)
    sitk.WriteImage(one, str(work / "cohort" / "bad" / "one_voxel.nii.gz"))
    sitk.WriteImage(sitk.Cast(mask * 2, sitk.sitkUInt8), str(work / "cohort" / "bad" / "label2.nii.gz"))
    arr = sitk.GetArrayFromImage(image).astype(np.float32)
    arr[tuple(axis[:5] for axis in np.nonzero(sitk.GetArrayViewFromImage(mask)))] = np.nan  # 5 NaN voxels in the ROI
    for name, values in (("nan", arr), ("zero", np.zeros_like(arr))):
        bad = sitk.GetImageFromArray(values)
        bad.CopyInformation(image)
        sitk.WriteImage(bad, str(work / "cohort" / "bad" / f"{name}.nii.gz"))
    img = "STS_004/PET_image.nii.gz"
    shutil.copytree(DEMO / "STS_004", work / "cohort" / "STS_004")
    rows += [("BAD_4D", "bad/4d.nii.gz", "STS_004/PET_mask.nii.gz"), ("BAD_TRUNC", "bad/truncated.nii.gz", "STS_004/PET_mask.nii.gz"),
             ("BAD_VOXEL", img, "bad/one_voxel.nii.gz"), ("BAD_LABEL2", img, "bad/label2.nii.gz"),
             ("BAD_NAN", "bad/nan.nii.gz", "STS_004/PET_mask.nii.gz"), ("BAD_ZERO", "bad/zero.nii.gz", "STS_004/PET_mask.nii.gz")]
    labels = [i % 2 for i in range(len(rows))]
    labels[len(GOOD)] = ""  # UNLABELLED
    manifest = pd.DataFrame(rows, columns=["case_id", "image", "mask"]).assign(label=labels)
    manifest.to_csv(work / "cohort" / "manifest.csv", index=False)


def run(work, on_error: str):
    cfg = {"manifest": str(work / "cohort" / "manifest.csv"), "on_error": on_error, **LIGHT_STAGES,
           "preprocess": {"spacing": [12.0, 12.0, 12.0]}, "ingest": {"batch_size": 4}}
    (work / f"{on_error}.yaml").write_text(yaml.safe_dump(cfg))
    return snakemake(*TARGETS, "--directory", str(work), "--cores", "2", "--configfile", str(work / f"{on_error}.yaml"),
                     check=False)


@pytest.fixture(scope="module")
def skipped(tmp_path_factory):
    work = tmp_path_factory.mktemp("on_error_skip")
    make_cohort(work)
    proc = run(work, "skip")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work


def test_skip_lists_each_bad_case_with_its_stage(skipped):
    excluded = pd.read_csv(skipped / "results" / "report" / "excluded_cases.csv")
    first = excluded.groupby("case_id")["source"].apply(sorted).to_dict()
    # where each case failed first; later stages list it as not run, naming that stage
    assert first == {"BAD_4D": ["features/qc", "ingest/qc", "preprocess/qc"],
                     "BAD_TRUNC": ["features/qc", "ingest/qc", "preprocess/qc"],
                     "BAD_VOXEL": ["features/qc", "preprocess/qc"],
                     "BAD_LABEL2": ["features/qc", "ingest/qc", "preprocess/qc"],
                     "BAD_NAN": ["features/qc", "ingest/qc", "preprocess/qc"],
                     "BAD_ZERO": ["features/qc", "ingest/qc", "preprocess/qc"],
                     UNLABELLED: ["manifest/label"]}
    reason = excluded.set_index(["case_id", "source"])["reason"]
    assert "4D" in reason["BAD_4D", "ingest/qc"] or "dimension" in reason["BAD_4D", "ingest/qc"]
    assert "bad/4d.nii.gz" in reason["BAD_4D", "ingest/qc"]
    assert "truncated.nii.gz" in reason["BAD_TRUNC", "ingest/qc"]
    assert "no voxel left on the grid" in reason["BAD_VOXEL", "preprocess/qc"]
    assert reason["BAD_VOXEL", "features/qc"].startswith("not run: failed in preprocess: case BAD_VOXEL")
    assert "mask holds labels [2] but not 1" in reason["BAD_LABEL2", "ingest/qc"]
    assert reason["BAD_4D", "preprocess/qc"].startswith("not run: failed in ingest: case BAD_4D")
    assert "image holds 5 NaN/inf voxels" in reason["BAD_NAN", "ingest/qc"] and "bad/nan.nii.gz" in reason["BAD_NAN", "ingest/qc"]
    assert "constant" in reason["BAD_ZERO", "ingest/qc"] and "bad/zero.nii.gz" in reason["BAD_ZERO", "ingest/qc"]
    assert reason[UNLABELLED, "manifest/label"].startswith("no value in column 'label'")


def test_skip_leaves_no_image_for_a_failed_case(skipped):
    results = skipped / "results"
    for case in ("BAD_4D", "BAD_TRUNC"):
        assert not (results / "ingest" / case).exists() or not any((results / "ingest" / case).iterdir())
    assert not (results / "preprocess" / "BAD_VOXEL" / "image.nii").exists()
    qc = pd.read_csv(results / "ingest" / "qc.csv").set_index("case_id")
    assert qc.loc["BAD_4D", "stage"] == "ingest" and qc.loc["BAD_4D", "status"] == "failed"
    assert (qc.loc[[*GOOD, UNLABELLED, "BAD_VOXEL"], "status"] == "ok").all()
    assert (qc.loc[["BAD_NAN", "BAD_ZERO", "BAD_LABEL2", "BAD_TRUNC"], "status"] == "failed").all()


def test_skip_keeps_the_good_cases(skipped):
    wide = pd.read_csv(skipped / "results" / "features" / "radiomics.csv")
    assert sorted(wide.case_id) == sorted([*GOOD, UNLABELLED])
    assert wide.filter(like="original_").shape[1] == 107 and wide.filter(like="original_").notna().all().all()
    meta = read_table_metadata(skipped / "results" / "features" / "radiomics.csv")  # what predict compares
    assert meta["radiodeep.modality"] == "PET" and len(meta["radiodeep.preset_hash"]) >= 12


def test_fail_stops_at_the_first_bad_case_in_one_line(tmp_path):
    make_cohort(tmp_path)
    proc = run(tmp_path, "fail")
    assert proc.returncode != 0
    log = proc.stdout + proc.stderr
    line = next(ln for ln in log.splitlines() if "ERROR" in ln and "case BAD_" in ln)
    assert "file " in line and "set on_error: skip" in line
    assert "Traceback" not in log
    assert not (tmp_path / "results" / "features" / "radiomics.csv").exists()
