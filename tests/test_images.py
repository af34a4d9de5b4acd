"""A damaged .gz image or mask is an error naming the case and the file, never an image of zeros.

The completeness check decompresses the file in a thread while SimpleITK reads it: whatever ITK
makes of the damaged stream, the check's verdict is what the caller gets.
"""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.images import read_image, read_label_map


@pytest.fixture
def gz_files(tmp_path):
    rng = np.random.default_rng(0)
    image = sitk.GetImageFromArray(rng.normal(size=(24, 40, 40)).astype(np.float32))
    mask = sitk.GetImageFromArray((rng.random((24, 40, 40)) > 0.5).astype(np.uint8))
    paths = {"image": tmp_path / "image.nii.gz", "mask": tmp_path / "mask.nii.gz"}
    sitk.WriteImage(image, str(paths["image"]), useCompression=True)
    sitk.WriteImage(mask, str(paths["mask"]), useCompression=True)
    return paths


def _damage(path, how: str) -> None:
    data = path.read_bytes()
    mid = len(data) // 2
    if how == "truncated":
        data = data[:mid]
    elif how == "corrupt":  # flipped bytes inside the deflate stream, length unchanged
        data = data[:mid] + bytes(b ^ 0xFF for b in data[mid:mid + 64]) + data[mid + 64:]
    else:  # not gzip at all
        data = b"\x00not gzip" * 100
    path.write_bytes(data)


@pytest.mark.parametrize("how", ["truncated", "corrupt", "garbage"])
@pytest.mark.parametrize("kind", ["image", "mask"])
def test_damaged_gz_is_a_clear_error(gz_files, kind, how):
    read = read_image if kind == "image" else read_label_map
    assert read(gz_files[kind], "c7").GetSize() == (40, 40, 24)  # intact: reads
    _damage(gz_files[kind], how)
    with pytest.raises(CaseError, match=rf"case c7, file .*{kind}\.nii\.gz: file is truncated or corrupt"):
        read(gz_files[kind], "c7")


def test_own_outputs_skip_the_check(gz_files):
    """check_gzip=False (radiodeep's own, atomically written files): no second decompression;
    a damaged file is then whatever ITK says, still an error naming the file."""
    _damage(gz_files["image"], "garbage")
    with pytest.raises(CaseError, match=r"image\.nii\.gz: cannot read image"):
        read_image(gz_files["image"], "c7", check_gzip=False)
