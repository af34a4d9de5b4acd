"""Segmentation pictures on demo PET cases: a reference mask and a known-worse "U-Net" mask."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from PIL import Image

from radiodeep.errors import RadiodeepError
from radiodeep.report.figures import plot_segmentation_distributions
from radiodeep.report.overlays import (
    PREDICTED_COLOUR,
    REFERENCE_COLOUR,
    case_views,
    load_case,
    order_worst_first,
)
from tests.report.conftest import CASES


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])


def _has_colour(png, hex_colour: str, tol: int = 40) -> int:
    pixels = np.asarray(Image.open(png).convert("RGB")).astype(int)
    return int((np.abs(pixels - _rgb(hex_colour)).sum(axis=2) < tol).sum())


def test_contact_sheet_is_worst_dice_first(overlay_cohort):
    work, dice, order, *_ = overlay_cohort
    assert dice.loc[0, "dice"] == 1.0 and dice.loc[1, "dice"] > dice.loc[2, "dice"]  # more dilation, lower Dice
    assert order == ["STS_003", "STS_002", "STS_001"]
    assert order_worst_first(dice)["case_id"].tolist() == ["STS_003", "STS_002", "STS_001", "STS_009"]
    width, height = Image.open(work / "contact_sheet.png").size
    assert width > 800 and height > 100  # one row of three cases
    assert _has_colour(work / "contact_sheet.png", REFERENCE_COLOUR) > 100
    assert _has_colour(work / "contact_sheet.png", PREDICTED_COLOUR) > 100


def test_case_png_shows_both_contours(overlay_cohort):
    work, *_ = overlay_cohort
    assert sorted(p.name for p in (work / "overlays").iterdir()) == [f"{c}.png" for c in CASES]
    # STS_001: the "U-Net" mask is the reference, drawn over it: orange is left in the legend only
    same = _has_colour(work / "overlays" / "STS_001.png", REFERENCE_COLOUR)
    assert _has_colour(work / "overlays" / "STS_001.png", PREDICTED_COLOUR) > 100
    for case in ("STS_002", "STS_003"):  # dilated: two separate contours
        assert _has_colour(work / "overlays" / f"{case}.png", REFERENCE_COLOUR) > 3 * same
        assert _has_colour(work / "overlays" / f"{case}.png", PREDICTED_COLOUR) > 100


def test_views_cut_through_the_roi_at_physical_aspect(overlay_cohort):
    _, _, _, images, refs, preds = overlay_cohort
    case = load_case("STS_001", images["STS_001"], refs["STS_001"], preds["STS_001"])
    assert case.spacing == pytest.approx((4.6875, 4.6875, 3.27))
    views = {v["name"]: v for v in case_views(case)}
    centre = np.argwhere(case.reference).mean(axis=0).round().astype(int)
    assert views["axial"]["index"] == centre[0] and views["sagittal"]["index"] == centre[2]
    assert views["axial"]["aspect"] == pytest.approx(1.0)
    assert views["coronal"]["aspect"] == pytest.approx(3.27 / 4.6875)  # rows are z, columns x
    for view in views.values():
        assert view["reference"].any() and view["image"].shape == view["reference"].shape


def test_mask_off_the_image_grid_is_refused(tmp_path, overlay_cohort, demo_dir):
    _, _, _, images, refs, _ = overlay_cohort
    ref = sitk.ReadImage(refs["STS_001"])
    small = sitk.RegionOfInterest(ref, [10, 10, 10], [0, 0, 0])
    sitk.WriteImage(small, str(tmp_path / "small.nii.gz"))
    with pytest.raises(RadiodeepError, match=r"case STS_001: .*small.nii.gz has size \(10, 10, 10\).*not the grid of"):
        load_case("STS_001", images["STS_001"], refs["STS_001"], tmp_path / "small.nii.gz")


def test_distributions_figure(overlay_cohort, tmp_path):
    work, dice, *_ = overlay_cohort
    assert Image.open(work / "distributions.png").size[0] > 500
    # without a baseline column the figure still draws the U-Net row
    plot_segmentation_distributions(dice[["case_id", "dice", "hd95_mm"]], tmp_path / "d.png")
    assert Image.open(tmp_path / "d.png").size[0] > 500


def test_a_case_failed_before_segmentation_gets_a_note_not_an_overlay(tmp_path, overlay_cohort):
    """on_error: skip: the U-Net step writes an empty placeholder mask for a case that failed in
    ingest or preprocess; its declared PNG says why, and the contact sheet leaves it out."""
    import pandas as pd

    from radiodeep.report.overlays import write_overlays

    _, _, _, images, refs, preds = overlay_cohort
    (tmp_path / "empty.nii.gz").write_bytes(b"")
    pd.DataFrame([{"case_id": "STS_001", "dice": 1.0, "hd95_mm": 0.0, "low_dice": False},
                  {"case_id": "BAD", "fold": "not run", "note": "not run: failed in ingest: case BAD: 4D"}]
                 ).to_csv(tmp_path / "dice.csv", index=False)
    order = write_overlays(tmp_path / "dice.csv", ["STS_001", "BAD"], [images["STS_001"], images["STS_001"]],
                           [refs["STS_001"], str(tmp_path / "missing_ref.nii.gz")], [preds["STS_001"], str(tmp_path / "empty.nii.gz")],
                           tmp_path / "contact_sheet.png")
    assert order == ["STS_001"]
    assert Image.open(tmp_path / "overlays" / "BAD.png").size[0] > 500
    assert Image.open(tmp_path / "overlays" / "STS_001.png").size[0] > 500
