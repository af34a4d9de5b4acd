"""Segmentation pictures on demo PET cases: a reference mask and a known-worse "U-Net" mask."""

from __future__ import annotations

import numpy as np
import pandas as pd
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
    write_overlays,
)

CASES = ["STS_001", "STS_002", "STS_003"]


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])


def _has_colour(png, hex_colour: str, tol: int = 40) -> int:
    pixels = np.asarray(Image.open(png).convert("RGB")).astype(int)
    return int((np.abs(pixels - _rgb(hex_colour)).sum(axis=2) < tol).sum())


@pytest.fixture(scope="module")
def cohort(tmp_path_factory, demo_dir):
    """Three demo cases; the "U-Net" masks are the reference dilated by 0, 1 and 2 voxels."""
    work = tmp_path_factory.mktemp("overlays")
    rows, images, refs, preds = [], {}, {}, {}
    for grow, case in enumerate(CASES):
        ref = sitk.ReadImage(str(demo_dir / case / "PET_mask.nii.gz")) > 0
        pred = sitk.BinaryDilate(ref, [grow] * 3) if grow else ref
        sitk.WriteImage(pred, str(work / f"{case}_pred.nii.gz"))
        overlap, distance = sitk.LabelOverlapMeasuresImageFilter(), sitk.HausdorffDistanceImageFilter()
        overlap.Execute(ref, pred)
        distance.Execute(ref, pred)  # ITK's Dice and (full) Hausdorff distance: no torch import here
        dice = overlap.GetDiceCoefficient()
        rows.append({"case_id": case, "dice": dice, "hd95_mm": distance.GetHausdorffDistance(), "low_dice": dice < 0.7})
        images[case], refs[case] = str(demo_dir / case / "PET_image.nii.gz"), str(demo_dir / case / "PET_mask.nii.gz")
        preds[case] = str(work / f"{case}_pred.nii.gz")
    rows.append({"case_id": "STS_009", "dice": np.nan, "hd95_mm": np.nan, "low_dice": False})  # excluded: no masks
    pd.DataFrame(rows).to_csv(work / "dice.csv", index=False)
    order = write_overlays(work / "dice.csv", CASES, [images[c] for c in CASES], [refs[c] for c in CASES],
                           [preds[c] for c in CASES], work / "contact_sheet.png",
                           work / "distributions.png", min_dice=0.7)
    return work, pd.DataFrame(rows), order, images, refs, preds


def test_contact_sheet_is_worst_dice_first(cohort):
    work, dice, order, *_ = cohort
    assert dice.loc[0, "dice"] == 1.0 and dice.loc[1, "dice"] > dice.loc[2, "dice"]  # more dilation, lower Dice
    assert order == ["STS_003", "STS_002", "STS_001"]
    assert order_worst_first(dice)["case_id"].tolist() == ["STS_003", "STS_002", "STS_001", "STS_009"]
    width, height = Image.open(work / "contact_sheet.png").size
    assert width > 800 and height > 100  # one row of three cases
    assert _has_colour(work / "contact_sheet.png", REFERENCE_COLOUR) > 100
    assert _has_colour(work / "contact_sheet.png", PREDICTED_COLOUR) > 100


def test_case_png_shows_both_contours(cohort):
    work, *_ = cohort
    assert sorted(p.name for p in (work / "overlays").iterdir()) == [f"{c}.png" for c in CASES]
    # STS_001: the "U-Net" mask is the reference, drawn over it: orange is left in the legend only
    same = _has_colour(work / "overlays" / "STS_001.png", REFERENCE_COLOUR)
    assert _has_colour(work / "overlays" / "STS_001.png", PREDICTED_COLOUR) > 100
    for case in ("STS_002", "STS_003"):  # dilated: two separate contours
        assert _has_colour(work / "overlays" / f"{case}.png", REFERENCE_COLOUR) > 3 * same
        assert _has_colour(work / "overlays" / f"{case}.png", PREDICTED_COLOUR) > 100


def test_views_cut_through_the_roi_at_physical_aspect(cohort):
    _, _, _, images, refs, preds = cohort
    case = load_case("STS_001", images["STS_001"], refs["STS_001"], preds["STS_001"])
    assert case.spacing == pytest.approx((4.6875, 4.6875, 3.27))
    views = {v["name"]: v for v in case_views(case)}
    centre = np.argwhere(case.reference).mean(axis=0).round().astype(int)
    assert views["axial"]["index"] == centre[0] and views["sagittal"]["index"] == centre[2]
    assert views["axial"]["aspect"] == pytest.approx(1.0)
    assert views["coronal"]["aspect"] == pytest.approx(3.27 / 4.6875)  # rows are z, columns x
    for view in views.values():
        assert view["reference"].any() and view["image"].shape == view["reference"].shape


def test_mask_off_the_image_grid_is_refused(tmp_path, cohort, demo_dir):
    _, _, _, images, refs, _ = cohort
    ref = sitk.ReadImage(refs["STS_001"])
    small = sitk.RegionOfInterest(ref, [10, 10, 10], [0, 0, 0])
    sitk.WriteImage(small, str(tmp_path / "small.nii.gz"))
    with pytest.raises(RadiodeepError, match=r"case STS_001: .*small.nii.gz has size \(10, 10, 10\).*not the grid of"):
        load_case("STS_001", images["STS_001"], refs["STS_001"], tmp_path / "small.nii.gz")


def test_distributions_figure(cohort, tmp_path):
    work, dice, *_ = cohort
    assert Image.open(work / "distributions.png").size[0] > 500
    # without a baseline column the figure still draws the U-Net row
    plot_segmentation_distributions(dice[["case_id", "dice", "hd95_mm"]], tmp_path / "d.png")
    assert Image.open(tmp_path / "d.png").size[0] > 500
