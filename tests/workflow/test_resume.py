"""SIGKILL the workflow while batched preprocess jobs run; rerunning the same command resumes it.

Only what is missing or incomplete is recomputed (batches whose job had not finished, whole),
finished outputs are left alone, no output is ever truncated (atomic writes), and the final
tables equal those of an uninterrupted run (which batched its cases differently).
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import time

import pandas as pd
import pytest
import SimpleITK as sitk
import yaml
from pandas.testing import assert_frame_equal

from radiodeep.radiomics.batches import even_batches
from tests.conftest import (
    SMALL_STUDY,
    prepare_study,
    radiomics_jobs,
    snakemake,
    snakemake_command,
    snakemake_env,
)

pytestmark = pytest.mark.slow

N = SMALL_STUDY["n_cases"]
BATCH = 3  # ingest.batch_size here: 4 ingest and 4 preprocess batch jobs of 3 cases (2 cores)
K = N // BATCH


def job_counts(stdout: str) -> dict[str, int]:
    """Snakemake's 'Job stats' table (rule, count) from a run's output."""
    stats = stdout.split("Job stats:", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.MULTILINE)}


def done_records(work, stage: str) -> set:
    """A stage's batch records that are written and no longer marked incomplete (their job is done)."""
    folder = work / "results" / stage / "batches"
    written = set(folder.glob(f"{stage}_*.json")) if folder.exists() else set()
    return written - marked_incomplete(work) if written else set()


def kill_during_preprocess(args: list[str], work) -> None:
    """Start snakemake in its own process group; SIGKILL the group once some, not all,
    preprocess batch jobs are finished."""
    proc = subprocess.Popen(snakemake_command(*args), env=snakemake_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if 1 <= len(done_records(work, "preprocess")) <= K - 1:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        else:
            pytest.fail("the run ended (or timed out) before it could be killed mid-way")
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL


def marked_incomplete(work) -> set:
    """Outputs Snakemake marked incomplete (jobs running when it died): urlsafe-base64 file names."""
    marks = work / ".snakemake" / "incomplete"
    return {work / base64.urlsafe_b64decode(p.name).decode() for p in marks.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    work = tmp_path_factory.mktemp("resume")
    args = prepare_study(work)
    study = yaml.safe_load((work / "study.yaml").read_text())
    (work / "study.yaml").write_text(yaml.safe_dump({**study, "ingest": {"batch_size": BATCH}}))
    kill_during_preprocess(args, work)
    time.sleep(1)  # let any job the kill orphaned finish its current write
    incomplete = marked_incomplete(work)
    done = {stage: {p.stem for p in done_records(work, stage)} for stage in ("ingest", "preprocess")}
    # finished: written, and recorded as complete by Snakemake before the kill (the batch
    # records and, for a finished preprocess batch, its cases' images)
    batches = dict(zip((f"preprocess_{i}" for i in range(1, K + 1)), even_batches(sorted(
        pd.read_csv(work / "cohort" / "manifest.csv")["case_id"]), BATCH, 2), strict=True))
    finished = {p: p.stat().st_mtime_ns for stage in done for p in done_records(work, stage)}
    finished.update({p: p.stat().st_mtime_ns for b in done["preprocess"] for c in batches[b]
                     for p in (work / "results" / "preprocess" / c).glob("*.nii")})
    # the killed run left its lock behind: unlock, then rerun the very same command
    snakemake(*args, "--unlock")
    rerun = snakemake(*args, "--rerun-incomplete")
    return work, finished, done, incomplete, rerun.stdout + rerun.stderr


def test_only_missing_outputs_recomputed(resumed):
    work, finished, done, _, log = resumed
    assert 1 <= len(done["preprocess"]) <= K - 1
    counts = job_counts(log)
    assert radiomics_jobs(counts, "ingest") == K - len(done["ingest"])
    assert radiomics_jobs(counts, "preprocess") == K - len(done["preprocess"])
    assert radiomics_jobs(counts) == N // SMALL_STUDY["radiomics"]["batch_size"]  # none had run
    assert counts["features"] == 1 and counts["model"] == 1
    assert len(finished) >= 1 + BATCH
    for path, mtime in finished.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was recomputed although it was complete"


def test_no_output_truncated(resumed):
    work = resumed[0]
    results = work / "results"
    jsons = [p for p in results.rglob("*.json") if not p.name.startswith(".")]
    images = [p for p in results.rglob("*.nii") if not p.name.startswith(".")]
    assert len(images) == 4 * N and len([p for p in jsons if p.parent.name == "radiomics"]) == N
    for stage in ("ingest", "preprocess"):
        records = [json.loads(p.read_text()) for p in (results / stage / "batches").glob("*.json")]
        assert len(records) == K and sum(len(r["cases"]) for r in records) == N
    for path in jsons:
        json.loads(path.read_text())
    for path in images:
        assert sitk.ReadImage(str(path)).GetNumberOfPixels() > 0


@pytest.mark.parametrize("table", ["features/radiomics.parquet", "features/features_long.parquet",
                                   "evaluation/oof_predictions.csv", "evaluation/metrics.csv"])
def test_final_tables_equal_uninterrupted_run(resumed, small_study, table):
    read = pd.read_parquet if table.endswith(".parquet") else pd.read_csv
    assert_frame_equal(read(resumed[0] / "results" / table), read(small_study / "results" / table), check_exact=True)
