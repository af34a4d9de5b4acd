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

FAKE_NAME, FAKE_ID = "Doe^Janeway^Q", "ZZ4711FAKE"


def fake_identity(folder: Path) -> None:
    """Give every DICOM file below ``folder`` a known fake patient name and ID (also in free text)."""
    def edit(ds):
        ds.PatientName, ds.PatientID = FAKE_NAME, FAKE_ID
        ds.SeriesDescription = f"PET {FAKE_ID} whole body"
        ds.StudyDescription = f"study of Janeway {FAKE_ID}"

    for sub in (folder / "image", folder / "mask"):
        edit_series(sub, edit)


def assert_no_identity(root: Path) -> int:
    """Scan every file below ``root`` (gzip content too) for the fake name parts and ID; return files scanned."""
    import gzip

    needles = [FAKE_ID.encode(), b"Janeway", b"Doe^"]
    files = [p for p in root.rglob("*") if p.is_file()]
    for p in files:
        data = p.read_bytes()
        if p.name.endswith(".gz"):
            data += gzip.decompress(data)
        hits = [n for n in needles if n.lower() in data.lower()]
        assert not hits, f"{p} contains {hits}"
    return len(files)


def add_second_series(image_dir: Path, slope_factor: float = 1.1) -> str:
    """Add a second series (new UIDs, values x ``slope_factor``) beside the first in ``image_dir``; return its UID."""
    from pydicom.uid import generate_uid

    second = image_dir.parent / "second.tmp"
    shutil.copytree(image_dir, second)
    uid = generate_uid()

    def edit(ds):
        ds.SeriesInstanceUID, ds.SOPInstanceUID = uid, generate_uid()
        ds.SeriesDescription, ds.SeriesNumber = "second reconstruction", 2
        ds.RescaleSlope = f"{float(ds.RescaleSlope) * slope_factor:.10e}"

    edit_series(second, edit)
    for f in second.glob("*.dcm"):
        f.rename(image_dir / f"second_{f.name}")
    second.rmdir()
    return uid


# the IBSI team's CT (GE) and MR-T1 (Philips/MIM) DICOM of STS_002 and STS_024 with their NIfTI conversions
MULTIMODAL = REPO.parent / "shared" / "data" / "sts_multimodal"
MODALITY_FOLDERS = {"CT": "CT", "MR": "MR_T1"}


def multimodal_series(case: str, modality: str) -> tuple[Path, Path]:
    """(image folder, RTSTRUCT) of a shared STS CT/MR DICOM series; skips when ../shared/data is absent."""
    folder = MULTIMODAL / "dicom" / case / MODALITY_FOLDERS[modality]
    if not folder.is_dir():
        pytest.skip(f"shared STS CT/MR DICOM not found at {folder} (needs ../shared/data beside the repository)")
    return folder / "image", next((folder / "mask").glob("*.dcm"))


def multimodal_nifti(case: str, modality: str) -> tuple[Path, Path]:
    sub = MODALITY_FOLDERS[modality]
    return MULTIMODAL / sub / case / f"{sub}_image.nii.gz", MULTIMODAL / sub / case / f"{sub}_mask.nii.gz"


def writable_copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    for p in dest.rglob("*"):
        p.chmod(0o644 if p.is_file() else 0o755)
    return dest


def read_series(folder: Path, modality: str | None = None, image: bool = False) -> tuple[np.ndarray | sitk.Image, dict]:
    """The volume (slice, row, column; or the SimpleITK image) and facts of the one image series in ``folder``, as ingest reads it."""
    from radiodeep.ingest.series import discover_series, select_series
    from radiodeep.ingest.volume import read_volume

    volume, info = read_volume(select_series(discover_series(folder), modality=modality))
    return (volume if image else sitk.GetArrayFromImage(volume)), info


@pytest.fixture(scope="session")
def ct_classic() -> tuple[Path, Path, np.ndarray]:
    """STS_002's CT series (uncompressed), its RTSTRUCT, and the voxels (HU) of its classic read."""
    image, rs = multimodal_series("STS_002", "CT")
    return image, rs, read_series(image)[0]


@pytest.fixture(scope="session")
def ct_j2k(ct_classic, tmp_path_factory) -> Path:
    """STS_002's CT series transcoded to JPEG 2000 lossless."""
    from pydicom import uid

    from tests.ingest.transcode import transcode_series

    return transcode_series(ct_classic[0], tmp_path_factory.mktemp("ct_j2k") / "image", uid.JPEG2000Lossless)
