"""Images whose header claims an absurd size are refused before any memory is allocated."""

import gzip
import resource
import struct

import numpy as np
import pytest

from radiodeep.errors import CaseError
from radiodeep.images import read_image, read_label_map
from radiodeep.imagesize import MAX_VOXELS_ENV, check_image_size
from tests.conftest import make_volume


def claims_1e11_voxels(tmp_path):
    """A real 4^3 NIfTI whose header then claims 4642^3 = 1.0e11 voxels, plain and gzipped, and a
    NRRD header claiming 100000 x 100000 x 10."""
    nii = make_volume(tmp_path / "small.nii", np.zeros((4, 4, 4), np.float32))
    data = bytearray(nii.read_bytes())
    assert struct.unpack_from("<8h", data, 40)[:4] == (3, 4, 4, 4)  # NIfTI-1 dim[0..3]
    struct.pack_into("<3h", data, 42, 4642, 4642, 4642)
    huge = tmp_path / "huge.nii"
    huge.write_bytes(bytes(data))
    (tmp_path / "huge.nii.gz").write_bytes(gzip.compress(bytes(data)))
    nrrd = tmp_path / "huge.nrrd"
    nrrd.write_bytes(b"NRRD0004\ntype: uint8\ndimension: 3\nsizes: 100000 100000 10\nencoding: raw\n\n" + bytes(64))
    return [huge, tmp_path / "huge.nii.gz", nrrd]


def test_absurd_header_is_refused_before_allocation(tmp_path):
    files = claims_1e11_voxels(tmp_path)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for path in files:
        with pytest.raises(CaseError, match=rf"case c1, file .*{path.name}: the header claims .* = 1e\+11 voxels"):
            read_image(path, "c1")
        with pytest.raises(CaseError, match="the header claims"):
            read_label_map(path, "c1")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 200_000  # kB: nothing near 1e11 bytes
    small = make_volume(tmp_path / "ok.nii.gz", np.ones((4, 5, 6), np.float32))
    assert read_image(small, "c1").GetSize() == (6, 5, 4)


def test_limit_is_adjustable_and_named(tmp_path, monkeypatch):
    small = make_volume(tmp_path / "ok.nii.gz", np.ones((4, 5, 6), np.float32))
    check_image_size(small, "c1")
    monkeypatch.setenv(MAX_VOXELS_ENV, "100")
    with pytest.raises(CaseError, match=rf"6 x 5 x 4 = 120 voxels .*limit of 100 voxels.*raise {MAX_VOXELS_ENV}"):
        check_image_size(small, "c1")
    monkeypatch.setenv(MAX_VOXELS_ENV, "lots")
    with pytest.raises(CaseError, match="is not a number of voxels"):
        check_image_size(small, "c1")
