"""DICOM fixtures: writable copies of the committed STS PET and IBSI CT phantom series."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk

from tests.conftest import REPO

DICOM_DATA = REPO / "tests" / "data" / "dicom"
STS = DICOM_DATA / "sts_pet"
CT = DICOM_DATA / "ct_phantom"


def copy_case(dest: Path, case: str = "STS_001") -> Path:
    """Copy STS ``case`` (image/ and mask/RS.dcm) to ``dest/case``, writable."""
    out = dest / case
    shutil.copytree(STS / "dicom" / case, out)
    for p in out.rglob("*"):
        p.chmod(0o644 if p.is_file() else 0o755)
    return out


def edit_series(folder: Path, edit) -> None:
    """Apply ``edit(ds)`` to every file of ``folder`` and save it in place."""
    for f in sorted(folder.glob("*.dcm")):
        ds = pydicom.dcmread(f)
        edit(ds)
        ds.save_as(f)


def read(path: Path) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


def dice(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0, b > 0
    return 2.0 * np.count_nonzero(a & b) / (np.count_nonzero(a) + np.count_nonzero(b))


@pytest.fixture
def sts_case(tmp_path) -> Path:
    return copy_case(tmp_path / "in")
