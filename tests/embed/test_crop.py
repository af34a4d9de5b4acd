import numpy as np
import pytest
import SimpleITK as sitk

from radiodeep.embed.crop import apply_window, crop_roi, intensity_window, roi_centre
from radiodeep.errors import CaseError


def _ramp_with_l_mask():
    """Image value = physical x (mm); an L-shaped ROI whose centre of mass and box centre differ."""
    xs = -10.0 + 2.0 * np.arange(30)
    img = sitk.GetImageFromArray(np.broadcast_to(xs, (30, 30, 30)).astype(np.float32).copy())
    img.SetSpacing([2.0, 2.0, 2.0])
    img.SetOrigin([-10.0, 5.0, 0.0])
    mask = np.zeros((30, 30, 30), np.uint8)
    mask[10:12, 10:12, 5:20] = 1  # bar along x, x index 5..19
    mask[10:12, 12:20, 5:7] = 1  # leg along y at x index 5..6
    m = sitk.GetImageFromArray(mask)
    m.CopyInformation(img)
    return img, m


def test_centre_of_mass_and_bbox_centre():
    img, m = _ramp_with_l_mask()
    idx = np.argwhere(sitk.GetArrayFromImage(m))  # z, y, x
    com_x = -10.0 + 2.0 * idx[:, 2].mean()
    assert roi_centre(m, how="com")[0] == pytest.approx(com_x)
    assert roi_centre(m, how="bbox")[0] == pytest.approx(-10.0 + 2.0 * 12.0)  # box x index 5..19
    assert roi_centre(m, how="com")[0] < roi_centre(m, how="bbox")[0]


def test_crop_samples_the_physical_neighbourhood_of_the_centre():
    img, m = _ramp_with_l_mask()
    ident = {"clip": [-1e6, 1e6], "shift": 0.0, "scale": 1.0}
    crop, roi = crop_roi(img, m, size_mm=21, spacing=1.0, intensity=ident, centre="bbox")
    assert crop.shape == roi.shape == (21, 21, 21)
    # centre voxel sits on the box centre (x = 14 mm); one voxel = 1 mm further along x
    assert crop[10, 10, 10] == pytest.approx(14.0, abs=1e-4)
    assert crop[10, 10, 11] - crop[10, 10, 10] == pytest.approx(1.0, abs=1e-4)
    assert 0 < roi.sum() <= np.count_nonzero(sitk.GetArrayFromImage(m)) * 8 + 1e-3  # 8 mm^3 per voxel


def test_window_pads_outside_the_image_and_scales():
    img, m = _ramp_with_l_mask()
    ct = intensity_window("CT")
    crop, _ = crop_roi(img, m, size_mm=200, spacing=4.0, intensity=ct)
    assert crop.min() == 0.0  # outside the image: clip low (-1024 HU) -> 0
    assert apply_window(np.array([-1024.0, 3072.0, 5000.0]), ct).tolist() == [0.0, 1.0, 1.0]
    assert intensity_window("PET")["scale"] == 0.1


def test_missing_label_is_a_case_error():
    img, m = _ramp_with_l_mask()
    with pytest.raises(CaseError, match="case c1.*label 2 is absent"):
        crop_roi(img, m, size_mm=20, spacing=2, intensity=intensity_window("PET"), label=2, case_id="c1")
