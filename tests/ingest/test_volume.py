"""SUVbw from BQML, series selection rule, and the even-odd contour fill."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest

from radiodeep.errors import CaseError
from radiodeep.ingest import ingest_case
from radiodeep.ingest.rtstruct import fill_even_odd
from radiodeep.ingest.series import Series, select_series
from radiodeep.ingest.suv import suv_factor
from tests.ingest.conftest import STS, edit_series, read

# STS_001: 71 kg, 3.88777472e8 Bq injected at 10:35:00, series starts 11:20:11 (2711 s later), F-18 6588 s
EXPECTED_FACTOR = 71_000 / (3.88777472e8 * 2 ** (-2711 / 6588))


def to_bqml(ds):
    """Stored values in Bq/ml, decay-corrected to the series start: SUV / factor."""
    ds.Units, ds.DecayCorrection = "BQML", "START"
    ds.RescaleSlope = f"{float(ds.RescaleSlope) / EXPECTED_FACTOR:.10e}"


def test_bqml_to_suvbw_equals_gml(sts_case, tmp_path):
    ds = pydicom.dcmread(sts_case / "image" / "000000.dcm")
    to_bqml(ds)
    assert suv_factor(ds)[0] == pytest.approx(EXPECTED_FACTOR, rel=1e-12)
    edit_series(sts_case / "image", to_bqml)
    header = ingest_case(sts_case / "image", None, tmp_path / "out", case_id="C1")
    suv, ref = read(tmp_path / "out" / "image.nii.gz"), read(STS / "nifti" / "STS_001" / "PET_image.nii.gz")
    assert np.abs(suv - ref).max() < 1e-3 and header["units"] == "SUVbw"


@pytest.mark.parametrize("tag", ["PatientWeight", "SeriesTime", "DecayCorrection"])
def test_bqml_without_a_needed_tag_names_it(sts_case, tmp_path, tag):
    def edit(ds):
        to_bqml(ds)
        delattr(ds, tag)

    edit_series(sts_case / "image", edit)
    with pytest.raises(CaseError, match=f"SUVbw needs {tag}"):
        ingest_case(sts_case / "image", None, tmp_path / "out", case_id="C1")


def _series(uid, modality, n, image_type=("ORIGINAL", "PRIMARY")):
    ds = pydicom.Dataset()
    ds.PixelSpacing = [1, 1]
    return Series(uid, modality, uid, image_type, "f", files=[f"{uid}{i}" for i in range(n)], headers=[ds])


def test_selection_rule():
    found = {s.uid: s for s in [
        _series("ct", "CT", 100), _series("scout", "CT", 200, ("ORIGINAL", "PRIMARY", "LOCALIZER")),
        _series("mip", "CT", 300, ("DERIVED", "SECONDARY")), _series("pet", "PT", 400), _series("rs", "RTSTRUCT", 1),
    ]}
    assert select_series(found, modality="CT").uid == "ct"  # not localizer, not derived
    assert select_series(found, modality="PET").uid == "pet"
    assert select_series(found).uid == "pet"  # most slices
    assert select_series(found, series_uid="mip").uid == "mip"
    with pytest.raises(CaseError, match="no MR image series"):
        select_series(found, modality="MR")
    with pytest.raises(CaseError, match="no image series with series_uid rs"):
        select_series(found, series_uid="rs")


def square(x0, y0, x1, y1):
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


def test_even_odd_fill_holes_and_several_contours():
    one = fill_even_odd([square(1.5, 1.5, 11.5, 11.5)], (20, 20))
    assert one.sum() == 100 and one[2:12, 2:12].all()
    holed = fill_even_odd([square(1.5, 1.5, 11.5, 11.5), square(3.5, 3.5, 7.5, 7.5)], (20, 20))
    assert holed.sum() == 100 - 16 and not holed[4:8, 4:8].any()
    two = fill_even_odd([square(1.5, 1.5, 4.5, 4.5), square(10.5, 10.5, 14.5, 12.5)], (20, 20))
    assert two.sum() == 9 + 8
    triangle = fill_even_odd([np.array([[0.5, 0.5], [10.7, 0.5], [0.5, 10.7]])], (20, 20))
    assert triangle.sum() == 55  # voxel centres x, y >= 1 with x + y <= 11
