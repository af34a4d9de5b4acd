"""Quality gates, in the suite because CI runs only `make test`: ruff, snakefmt, snakemake --lint."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO, snakemake

LINTED = [d for d in ("radiodeep", "tests", "workflow", "bench") if (REPO / d).is_dir()]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True)


def test_ruff_clean():
    proc = run("ruff", "check", "--no-cache", *LINTED)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakefmt_clean():
    proc = run("snakefmt", "--check", "Snakefile", "workflow/rules")
    assert proc.returncode == 0, "run `snakefmt Snakefile workflow/rules`:\n" + proc.stdout + proc.stderr


@pytest.mark.slow
def test_snakemake_lint_clean(tmp_path):
    proc = snakemake("--lint", "--directory", str(tmp_path), check=False)
    assert proc.returncode == 0 and "good condition" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
