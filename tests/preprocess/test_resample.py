import numpy as np
import pytest
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.preprocess import (
    normalise_intensity,
    preprocess_case,
    resample_image,
    resample_label_map,
)
from radiodeep.preprocess.resample import centred_grid


def _centre(img):
    size = np.array(img.GetSize())
    return np.array(img.TransformContinuousIndexToPhysicalPoint(((size - 1) / 2).tolist()))


def test_centred_grid_keeps_centre_and_extent():
    img = sitk.Image([20, 30, 7], sitk.sitkFloat32)
    img.SetSpacing([2.0, 1.5, 3.27])
    img.SetOrigin([-10.0, 5.0, 100.0])
    out = resample_image(img, [4, 4, 4])
    assert out.GetSize() == (10, 12, 6)  # ceil(40/4), ceil(45/4), ceil(22.89/4)
    np.testing.assert_allclose(_centre(out), _centre(img), atol=1e-6)
    size, origin = centred_grid(img, [1, 1, 1])
    assert size == [40, 45, 23]


def test_cube_mask_voxel_count_after_upsampling(cube_case, tmp_path):
    image, mask = cube_case
    summary = preprocess_case(image, mask, tmp_path / "i.nii.gz", tmp_path / "m.nii.gz", modality="CT", spacing=[1, 1, 1])
    assert summary["size"] == [40, 40, 40]
    assert summary["roi_voxels"] == 12**3  # a 12 mm cube at 1 mm, nearest neighbour, no ties
    out = sitk.ReadImage(str(tmp_path / "i.nii.gz"))
    assert out.GetSpacing() == (1.0, 1.0, 1.0)


def test_linear_resampling_preserves_constant_and_mask_on_reference_grid():
    img = sitk.Image([10, 10, 10], sitk.sitkFloat32) + 7.5
    img.SetSpacing([3, 3, 3])
    out = resample_image(img, [2, 2, 2])
    arr = sitk.GetArrayFromImage(out)
    assert np.allclose(arr[1:-1, 1:-1, 1:-1], 7.5)
    lab = sitk.Cast(img > 0, sitk.sitkUInt8)
    assert resample_label_map(lab, out).GetSize() == out.GetSize()
    with pytest.raises(ValueError, match="linear or bspline"):
        resample_image(img, [2, 2, 2], "nearest")


def test_mr_zscore_in_roi_and_pet_untouched(cube_case):
    image, mask = cube_case
    img = sitk.ReadImage(str(image), sitk.sitkFloat32)
    m = sitk.ReadImage(str(mask), sitk.sitkUInt8)
    z = sitk.GetArrayFromImage(normalise_intensity(img, "MR", m, "roi"))
    roi = sitk.GetArrayFromImage(m) > 0
    assert abs(z[roi].mean()) < 1e-5 and abs(z[roi].std() - 1) < 1e-4
    assert normalise_intensity(img, "PET") is img


def test_mask_on_other_grid_is_an_error(cube_case, tmp_path):
    image, mask = cube_case
    m = sitk.ReadImage(str(mask))
    m.SetOrigin([5.0, 0.0, 0.0])
    sitk.WriteImage(m, str(tmp_path / "shifted.nii.gz"))
    with pytest.raises(CaseError, match=r"case c9, file .*shifted.nii.gz: mask grid differs from image grid.*origin"):
        preprocess_case(image, tmp_path / "shifted.nii.gz", tmp_path / "o.nii.gz", tmp_path / "om.nii.gz", modality="CT", spacing=None, case_id="c9")
    assert not (tmp_path / "o.nii.gz").exists()


def test_truncated_nifti_is_an_error_not_zeros(cube_case, tmp_path):
    from radiodeep.images import read_image

    image, _ = cube_case
    data = image.read_bytes()
    cut = tmp_path / "cut.nii.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CaseError, match=r"case t1, file .*cut.nii.gz: file is truncated or corrupt"):
        read_image(cut, "t1")
    assert read_image(image, "t1").GetSize() == (20, 20, 20)
