"""Dice/HD95 on known synthetic masks, the 40%-SUVmax baseline, post-processing, normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from radiodeep.segment.data import normalise
from radiodeep.segment.metrics import dice_hd95, threshold_baseline, volume_ml
from radiodeep.segment.postprocess import postprocess


def cube(shift: int = 0) -> np.ndarray:
    m = np.zeros((20, 20, 20), np.uint8)
    m[5:15, 5:15, 5 + shift : 15 + shift] = 1
    return m


@pytest.mark.parametrize("spacing, hd95", [((1.0, 1.0, 1.0), 3.0), ((2.0, 1.0, 1.0), 6.0), ((1.0, 1.0, 2.0), 3.0)])
def test_dice_and_hd95_of_shifted_cube(spacing, hd95):
    # shifted by 3 voxels along x (the last array axis): overlap 7/10 -> Dice 0.7, HD95 3 voxels along x
    dice, hd = dice_hd95(cube(3), cube(0), spacing)
    assert dice == pytest.approx(0.7)
    assert hd == pytest.approx(hd95)


def test_empty_masks():
    assert np.isnan(dice_hd95(np.zeros((4, 4, 4)), np.zeros((4, 4, 4)), (1, 1, 1))[0])
    dice, hd = dice_hd95(np.zeros((20, 20, 20)), cube(), (1, 1, 1))
    assert dice == 0.0 and np.isnan(hd)


def test_volume_ml():
    assert volume_ml(cube(), (2.0, 2.0, 2.0)) == pytest.approx(8.0)


def test_threshold_baseline_keeps_component_of_the_maximum():
    suv = np.ones((20, 20, 20), np.float32)
    suv[2:6, 2:6, 2:6] = 10.0   # tumour with the maximum
    suv[3, 3, 3] = 12.0
    suv[4:6, 4:6, 4:6] = 4.0    # below 40% of 12 = 4.8: excluded
    suv[12:18, 12:18, 12:18] = 9.0  # another hot structure, not connected: excluded
    out = threshold_baseline(suv)
    assert out.sum() == 64 - 8 and out[3, 3, 3] == 1 and out[15, 15, 15] == 0


def test_postprocess_largest_component_and_holes():
    m = cube()
    m[9, 9, 9] = 0          # a hole
    m[0:2, 0:2, 0:2] = 1    # a small island
    out = postprocess(m)
    assert np.array_equal(out, cube())
    assert postprocess(m, largest_component=False, fill_holes=False).sum() == 1000 - 1 + 8


def test_normalise_pet_window():
    assert normalise(np.array([-3.0, 0.0, 10.0, 25.0]), {"clip": [0, 20], "shift": 0, "scale": 0.1}).tolist() == [0.0, 0.0, 1.0, 2.0]
