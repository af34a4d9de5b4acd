"""Shared fixtures: the embedded demo cohort and small synthetic volumes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "sts_pet"


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
