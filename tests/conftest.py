"""Shared fixtures: the embedded demo cohort and small synthetic volumes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "sts_pet"
# The small study shared by the workflow, determinism, resume and report tests.
# The spine only (no U-Net, no embeddings): fast enough to run several times per suite.
LIGHT_STAGES = {"segment": {"enabled": False, "mask_source": "reference"}}
SMALL_STUDY = {
    "n_cases": 12,
    **LIGHT_STAGES,
    "radiomics": {"batch_size": 3},  # 4 radiomics jobs of 3 cases
    # the former default model keeps the shared study fast; the default ('auto', baselines) has its own tests
    "model": {"folds": 3, "repeats": 2, "feature_sets": ["handcrafted"], "permutations": 5,
              "classifiers": ["elasticnet"], "selection": "mrmr", "baselines": False},
    "evaluate": {"n_bootstrap": 300},
}


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    return DEMO


def make_volume(path: Path, array: np.ndarray, spacing=(1.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0), dtype=sitk.sitkFloat32) -> Path:
    """Write a z,y,x numpy array as a NIfTI volume."""
    img = sitk.Cast(sitk.GetImageFromArray(array), dtype)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(img, str(path))
    return path


@pytest.fixture
def cube_case(tmp_path: Path) -> tuple[Path, Path]:
    """A 20^3 noisy image with a 6^3 cube ROI (label 1), 2 mm voxels."""
    rng = np.random.default_rng(0)
    arr = rng.normal(10, 1, (20, 20, 20)).astype(np.float32)
    mask = np.zeros((20, 20, 20), np.uint8)
    mask[7:13, 7:13, 7:13] = 1
    arr[mask == 1] += 5
    image = make_volume(tmp_path / "image.nii.gz", arr, spacing=(2, 2, 2))
    label = make_volume(tmp_path / "mask.nii.gz", mask, spacing=(2, 2, 2), dtype=sitk.sitkUInt8)
    return image, label


def copy_demo_subset(dest: Path, n: int) -> Path:
    """Copy the first n demo cases (balanced: positives included) and a manifest to dest."""
    import pandas as pd

    m = pd.read_csv(DEMO / "manifest.csv")
    pos = m[m.label == 1].head(n // 3)
    neg = m[m.label == 0].head(n - len(pos))
    sub = pd.concat([neg, pos]).sort_values("case_id")
    for cid in sub.case_id:
        shutil.copytree(DEMO / cid, dest / cid)
    sub.to_csv(dest / "manifest.csv", index=False)
    return dest / "manifest.csv"


def radiomics_jobs(counts: dict, name: str = "radiomics") -> int:
    """Jobs of the radiomics batch rules (``<name>_1``, ``<name>_2``...) in a rule -> count table."""
    import re

    return sum(int(n) for rule, n in counts.items() if re.fullmatch(rf"{name}_\d+", rule))


def snakemake_command(*args: str) -> list[str]:
    """The snakemake command line for this repository's Snakefile, with the test's Python."""
    return [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), *args]


def snakemake_env() -> dict[str, str]:
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
                PYTHONPATH=f"{REPO}:{os.environ.get('PYTHONPATH', '')}")


def snakemake(*args: str, cwd: Path = REPO, check: bool = True) -> subprocess.CompletedProcess:
    """Run snakemake to completion; on failure (with ``check``) raise with the end of its output."""
    proc = subprocess.run(snakemake_command(*args), cwd=cwd, env=snakemake_env(), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")
    return proc


def prepare_study(work: Path) -> list[str]:
    """A fresh working directory with the small demo subset and its config; returns the run's arguments."""
    import yaml

    manifest = copy_demo_subset(work / "cohort", SMALL_STUDY["n_cases"])
    cfg = {"manifest": str(manifest), **{k: v for k, v in SMALL_STUDY.items() if k != "n_cases"}}
    (work / "study.yaml").write_text(yaml.safe_dump(cfg))
    return study_args(work)


@pytest.fixture(scope="session")
def small_study(tmp_path_factory) -> Path:
    """One uninterrupted run of the small study (12 demo cases, 3 folds x 2 repeats, 300 bootstraps)."""
    work = tmp_path_factory.mktemp("small_study")
    snakemake(*prepare_study(work))
    return work


@pytest.fixture(scope="session")
def small_study_report(small_study) -> Path:
    """``snakemake --report results/report.html`` of the small study."""
    report = small_study / "results" / "report.html"
    snakemake(*study_args(small_study), "--report", str(report))
    return report


def study_args(work: Path) -> list[str]:
    """The arguments of a study already prepared in ``work``."""
    return ["--directory", str(work), "--cores", "2", "--configfile", str(work / "study.yaml")]
