"""The batch rules a cohort gets do not depend on the machine that parses the workflow: a job on
a cluster node (``--mode remote``, its own ``--cores``) plans the submit host's batches."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import DEMO, snakemake


def _ingest_batches(work: Path, *args: str) -> int:
    out = snakemake("-n", "results/ingest/qc.csv", "--directory", str(work), "--configfile", str(work / "study.yaml"),
                    *args).stdout
    return len(set(re.findall(r"^ingest_\d+\b", out, flags=re.MULTILINE)))


@pytest.mark.slow
def test_batch_plan_is_the_same_on_the_submit_host_and_on_a_node(tmp_path):
    m = pd.read_csv(DEMO / "manifest.csv")  # 51 cases: ceil(51 / 30) = 2 batches on one core
    m["image"], m["mask"] = [str(DEMO / p) for p in m.image], [str(DEMO / p) for p in m["mask"]]
    m.to_csv(tmp_path / "manifest.csv", index=False)
    (tmp_path / "study.yaml").write_text(yaml.safe_dump({"manifest": str(tmp_path / "manifest.csv"),
                                                         "segment": {"enabled": False}}))
    # one machine: --cores as typed, not capped by this machine's CPU count (2 here)
    assert _ingest_batches(tmp_path, "--cores", "3") == 3
    # a job on a node: whatever its --cores, the cluster plan (one core per batch job)
    assert _ingest_batches(tmp_path, "--cores", "3", "--mode", "remote") == 2
    assert _ingest_batches(tmp_path, "--cores", "1", "--mode", "remote") == 2
