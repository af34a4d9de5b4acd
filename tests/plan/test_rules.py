"""The planner's rules on synthetic cohorts whose right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from radiodeep.plan import make_plan, rules

CONFIG = {"modality": "CT", "seed": 0,
          "preprocess": {"spacing": "auto", "mr_reference": "body"},
          "segment": {"spacing": "auto", "patch_size": "auto", "architecture": "auto", "intensity": None},
          "embed": {"backbone": "unet-encoder", "crop_mm": None}}


def fp(case_id, spacing, size, roi_mm3=None, extent=None, lo=0.0, hi=100.0):
    out = {"case_id": case_id, "spacing": list(spacing), "size": list(size)}
    if roi_mm3:
        out.update({"roi_voxels": int(roi_mm3 / np.prod(spacing)) or 1, "roi_volume_mm3": roi_mm3,
                    "roi_extent_mm": list(extent), "roi_min": lo, "roi_max": hi})
    return out


def sphere(d_mm):
    return np.pi / 6 * d_mm ** 3, [d_mm] * 3


def test_ct_nodules_of_4_mm_keep_voxels_on_an_anisotropic_grid():
    """0.7 x 0.7 x 2.5 mm CT with 4 mm nodules: the PET demo's old 4 mm grid left < 1 voxel."""
    vol, ext = sphere(4.0)
    fps = [fp(f"n{i}", (0.7, 0.7, 2.5), (50, 50, 10), vol, ext) for i in range(20)]
    grid, why = rules.plan_spacing(fps)
    assert grid == [0.7, 0.7, 2.5] and "anisotropic" in why
    assert vol / np.prod(grid) == pytest.approx(27.4, abs=0.1)  # voxels kept per nodule
    assert vol / 4.0 ** 3 < 1  # what the fixed 4 mm grid gave
    assert all(e / s >= 1.5 for e, s in zip(ext, grid, strict=True))


def test_pet_like_cohort_gets_the_4_mm_isotropic_grid():
    fps = [fp(f"p{i}", (5.47, 5.47, 3.27), (39, 39, 62), 20000.0, [40, 40, 50]) for i in range(10)]
    grid, why = rules.plan_spacing(fps)
    assert grid == [4.0, 4.0, 4.0] and why.startswith("isotropic")


def test_grid_is_refined_until_every_roi_keeps_64_voxels_but_not_below_native():
    fps = [fp("a", (1, 1, 1), (80, 80, 80), 2000.0, [15, 15, 15]), fp("b", (1, 1, 1), (80, 80, 80), 2000.0, [15, 15, 15]),
           fp("small", (0.5, 0.5, 0.5), (160, 160, 160), 20.0, [3.4, 3.4, 3.4])]
    grid, why = rules.plan_spacing(fps)
    assert grid[0] < 1.0 and grid[0] >= 0.5 and "refined" in why
    assert 20.0 / np.prod(grid) >= rules.MIN_ROI_VOXELS and not rules.small_rois(fps, grid)
    tiny = fps[:2] + [fp("tiny", (1, 1, 1), (80, 80, 80), 5.0, [2, 2, 1])]
    grid, _ = rules.plan_spacing(tiny)
    assert grid == [1.0, 1.0, 1.0]  # cannot go below the native grid: the case is listed instead
    assert [s["case_id"] for s in rules.small_rois(tiny, grid)] == ["tiny"]


def test_pet_demo_patch_and_depth_are_the_demo_recipe():
    fps = [fp(f"p{i}", (5.47, 5.47, 3.27), (39, 39, 62)) for i in range(10)]
    seg, _ = rules.plan_segmentation_spacing(fps, [4.0, 4.0, 4.0])
    patch, strides, _ = rules.plan_patch(fps, seg)
    assert seg == [4.0, 4.0, 4.0] and patch == [48, 48, 48]
    assert rules.architecture(strides)["strides"] == [2, 2, 2, 2]
    assert rules.architecture(strides)["channels"] == [16, 32, 64, 128, 256]


def test_large_anisotropic_ct_gets_a_coarser_unet_grid_and_a_patch_its_network_takes():
    import torch

    from radiodeep.segment.checkpoint import build_network

    fps = [fp(f"c{i}", (0.977, 0.977, 3.27), (173, 165, 59)) for i in range(10)]
    seg, why = rules.plan_segmentation_spacing(fps, [0.977, 0.977, 3.27])
    assert seg[2] == 3.27 and 2.0 < seg[0] < 3.27 and "coarsened" in why
    assert np.prod(rules.median_shape(fps, seg)) <= rules.SEG_IMAGE_VOXELS
    patch, strides, _ = rules.plan_patch(fps, seg)
    assert np.prod(patch) <= rules.PATCH_VOXELS
    total = np.prod(np.array(strides), axis=0)
    assert all(p % t == 0 and p // t >= rules.MIN_FEATURE_MAP for p, t in zip(patch, total, strict=True))
    net = build_network(rules.architecture(strides))
    assert net(torch.zeros(1, 1, *patch)).shape[2:] == tuple(patch)


def test_bin_width_keeps_a_fitting_preset_and_replaces_one_giving_too_few_bins():
    pet = [fp(f"p{i}", (4, 4, 4), (50, 50, 50), 1000.0, [10, 10, 10], 0.5, 10.8) for i in range(5)]
    assert rules.plan_bin_width(pet, 0.25)[0] == 0.25  # 41 bins
    ct = [fp(f"c{i}", (1, 1, 1), (50, 50, 50), 1000.0, [10, 10, 10], -150, 203) for i in range(5)]
    width, stats, _ = rules.plan_bin_width(ct, 25)  # 14 bins with the CT preset's 25 HU
    assert width == 10 and stats["bins_median"] == pytest.approx(35.3)


def test_user_values_win_and_are_recorded_as_set():
    fps = [fp(f"c{i}", (0.977, 0.977, 3.27), (173, 165, 59), 50000.0, [60, 60, 100], -100, 250) for i in range(6)]
    planned = make_plan(fps, CONFIG, 25, False)["settings"]
    assert planned["preprocess.spacing"]["source"] == "planned"
    assert planned["segment.intensity"]["value"]["scheme"] == "foreground"
    user = {**CONFIG, "preprocess": {"spacing": [1.0, 1.0, 1.0], "mr_reference": "body"},
            "segment": {**CONFIG["segment"], "patch_size": [32, 32, 32]}}
    plan = make_plan(fps, user, 25, True)["settings"]
    assert plan["preprocess.spacing"] == {**plan["preprocess.spacing"], "value": [1.0, 1.0, 1.0], "source": "set"}
    assert plan["segment.patch_size"]["value"] == [32, 32, 32] and plan["segment.patch_size"]["source"] == "set"
    assert plan["radiomics.binWidth"]["source"] == "set" and plan["radiomics.binWidth"]["value"] == 25
    assert plan["segment.architecture"]["source"] == "planned"  # depth follows the user's patch
