"""SIGKILL the workflow while radiomics batch jobs run; rerunning the same command resumes it.

Only what is missing or incomplete is recomputed (batches whose job had not finished, whole),
finished outputs are left alone, no output is ever truncated (atomic writes), and the final
tables equal those of an uninterrupted run.
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
BATCH = SMALL_STUDY["radiomics"]["batch_size"]


def job_counts(stdout: str) -> dict[str, int]:
    """Snakemake's 'Job stats' table (rule, count) from a run's output."""
    stats = stdout.split("Job stats:", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.MULTILINE)}


def kill_during_radiomics(args: list[str], work) -> None:
    """Start snakemake in its own process group; SIGKILL the group once some, not all, radiomics
    outputs are finished (written, and no longer marked incomplete: their batch job is done)."""
    proc = subprocess.Popen(snakemake_command(*args), env=snakemake_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = work / "results" / "radiomics"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            written = set(out.glob("STS_*.json")) if out.exists() else set()
            done = len(written - marked_incomplete(work)) if written else 0
            if BATCH <= done <= N - BATCH:
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
    kill_during_radiomics(args, work)
    time.sleep(1)  # let any job the kill orphaned finish its current write
    incomplete = marked_incomplete(work)
    # finished: written, and recorded as complete by Snakemake before the kill
    finished = {p: p.stat().st_mtime_ns for p in (work / "results").rglob("*") if p.is_file()
                and p.suffix in (".json", ".gz") and not p.name.startswith(".") and "logs" not in p.parts
                and p not in incomplete}
    # the killed run left its lock behind: unlock, then rerun the very same command
    snakemake(*args, "--unlock")
    rerun = snakemake(*args, "--rerun-incomplete")
    return work, finished, incomplete, rerun.stdout + rerun.stderr


def test_only_missing_outputs_recomputed(resumed):
    work, finished, _, log = resumed
    done = {p.stem for p in finished if p.parent.name == "radiomics"}
    assert BATCH <= len(done) <= N - BATCH
    cases = sorted(pd.read_csv(work / "cohort" / "manifest.csv")["case_id"])
    batches = [set(b) for b in even_batches(cases, BATCH)]
    assert all(b <= done or not b & done for b in batches)  # a batch's outputs are finished together
    counts = job_counts(log)
    assert radiomics_jobs(counts) == sum(not b <= done for b in batches)
    assert counts["features"] == 1 and counts["model"] == 1
    for path, mtime in finished.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was recomputed although it was complete"


def test_no_output_truncated(resumed):
    work = resumed[0]
    results = work / "results"
    jsons = [p for p in results.rglob("*.json") if not p.name.startswith(".")]
    images = [p for p in results.rglob("*.nii.gz") if not p.name.startswith(".")]
    assert len(images) == 4 * N and len([p for p in jsons if p.parent.name == "radiomics"]) == N
    for path in jsons:
        json.loads(path.read_text())
    for path in images:
        assert sitk.ReadImage(str(path)).GetNumberOfPixels() > 0


@pytest.mark.parametrize("table", ["features/radiomics.parquet", "features/features_long.parquet",
                                   "evaluation/oof_predictions.csv", "evaluation/metrics.csv"])
def test_final_tables_equal_uninterrupted_run(resumed, small_study, table):
    read = pd.read_parquet if table.endswith(".parquet") else pd.read_csv
    assert_frame_equal(read(resumed[0] / "results" / table), read(small_study / "results" / table), check_exact=True)
