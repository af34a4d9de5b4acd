"""One U-Net per image name: which images get one, and their Dice tables gathered for the report."""

from __future__ import annotations

import pandas as pd
import pytest

from radiodeep.errors import RadiodeepError
from radiodeep.segment.images import (
    combine_dice_tables,
    dice_by_image,
    segmentation_dir,
    unet_images,
)

OFF = {"enabled": False, "mask_source": "reference", "images": []}


def test_one_image_keeps_todays_rule():
    assert segmentation_dir("") == "results/segmentation" and segmentation_dir("MR_T1") == "results/segmentation/MR_T1"
    assert unet_images(OFF, {"": []}) == []
    assert unet_images(OFF, {"": ["STS_003"]}) == [""]  # a case without a mask needs the U-Net
    assert unet_images({**OFF, "mask_source": "both"}, {"": []}) == [""]
    with pytest.raises(RadiodeepError, match="one image per case"):
        unet_images({**OFF, "images": ["PET"]}, {"": []})


def test_images_that_get_a_unet():
    groups = {"PET": [], "CT": ["STS_002__CT"], "MR": []}
    assert unet_images(OFF, groups) == ["CT"]  # only the image with an unmasked unit
    assert unet_images({**OFF, "enabled": True}, groups) == ["PET", "CT", "MR"]
    assert unet_images({**OFF, "mask_source": "predicted", "images": ["MR", "CT"]}, groups) == ["CT", "MR"]
    with pytest.raises(RadiodeepError, match=r"image CT: 1 unit\(s\) without a mask \(first STS_002__CT\)"):
        unet_images({**OFF, "enabled": True, "images": ["PET"]}, groups)
    with pytest.raises(RadiodeepError, match=r"segment.images names \['T2'\]"):
        unet_images({**OFF, "enabled": True, "images": ["T2"]}, groups)
    with pytest.raises(RadiodeepError, match="mask_source: both"):
        unet_images({**OFF, "mask_source": "both"}, groups)


def test_dice_tables_gathered_per_image(tmp_path):
    pd.DataFrame({"case_id": ["A__PET", "B__PET"], "patient_id": ["A", "B"], "dice": [0.8, 0.6], "hd95_mm": [4.0, 8.0],
                  "low_dice": [False, False]}).to_csv(tmp_path / "pet.csv", index=False)
    pd.DataFrame({"case_id": ["A__MR", "B__MR", "C__MR"], "patient_id": ["A", "B", "C"], "dice": [0.3, None, 0.5],
                  "hd95_mm": [20.0, None, 10.0], "low_dice": [True, False, False]}).to_csv(tmp_path / "mr.csv", index=False)
    dice = combine_dice_tables({"PET": tmp_path / "pet.csv", "MR": tmp_path / "mr.csv"})
    assert list(dice.columns[:2]) == ["case_id", "image"] and list(dice["image"]) == ["PET", "PET", "MR", "MR", "MR"]
    by_image = dice_by_image(dice).set_index("image")
    assert list(by_image.index) == ["PET", "MR"]
    assert by_image.loc["PET", ["n", "dice_mean", "hd95_median_mm", "n_low_dice"]].tolist() == [2, pytest.approx(0.7), 6.0, 0]
    assert by_image.loc["MR", ["n", "dice_mean", "n_low_dice"]].tolist() == [2, pytest.approx(0.4), 1]  # the unscored row left out
    with pytest.raises(RadiodeepError, match="no per-image dice.csv"):
        combine_dice_tables({})
