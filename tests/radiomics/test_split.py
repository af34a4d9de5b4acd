"""One case over several processes: balanced groups whose features together are the whole case's,
cropped once in the parent, with the diagnostics of a plain single-process pyradiomics run."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from radiomics.featureextractor import RadiomicsFeatureExtractor
from threadpoolctl import threadpool_limits

from radiodeep.radiomics import extract_case, load_preset
from radiodeep.radiomics.engine import _pyradiomics_run, _SitkHashlibSha1, _to_python, extractor
from radiodeep.radiomics.parallel import can_precrop, precrop
from radiodeep.radiomics.presets import pyradiomics_sections
from radiodeep.radiomics.split import balance, pieces, plan
from tests.conftest import REPO, make_volume

FILTERS = {"Original": {}, "LoG": {"sigma": [1.0, 2.0, 3.0]}, "Wavelet": {}}
PHANTOM = REPO / "tests" / "data" / "ibsi" / "ct_phantom" / "nifti"
# what radiodeep's QC table reads (radiodeep/features/tables.py), and the configuration
QC_KEYS = ["diagnostics_Image-original_Spacing", "diagnostics_Image-original_Size", "diagnostics_Image-original_Mean",
           "diagnostics_Image-original_Minimum", "diagnostics_Image-original_Maximum",
           "diagnostics_Mask-original_VoxelNum", "diagnostics_Mask-original_VolumeNum",
           "diagnostics_Mask-original_BoundingBox", "diagnostics_Versions_PyRadiomics",
           "diagnostics_Configuration_EnabledImageTypes", "diagnostics_Image-original_Hash",
           "diagnostics_Mask-original_Hash"]


def ct_params(classes=None, **settings) -> dict:
    params = pyradiomics_sections(load_preset("CT", {"imageType": FILTERS, "binWidth": 10, **settings}))
    if classes is not None:
        params["featureClass"] = classes
    return params


def plain(image, mask, params, label=1) -> tuple[dict, dict]:
    """One pyradiomics call on the whole case, as its CLI makes it with OPENBLAS_NUM_THREADS=1
    (the GLCM MCC's last bit depends on the BLAS threads; radiodeep always uses one)."""
    with threadpool_limits(1, user_api="blas"):
        result = RadiomicsFeatureExtractor(params).execute(str(image), str(mask), label=label)
    features = {k: float(v) for k, v in result.items() if not k.startswith("diagnostics_")}
    return features, {k: _to_python(v) for k, v in result.items() if k.startswith("diagnostics_")}


def assert_same(ours: dict, features: dict, diagnostics: dict) -> None:
    assert set(ours["features"]) == set(features)
    differ = [k for k, v in features.items()
              if np.float64(v).tobytes() != np.float64(np.nan if ours["features"][k] is None else ours["features"][k]).tobytes()]
    assert not differ, f"{len(differ)} features differ, e.g. {differ[:3]}"
    assert ours["diagnostics"] == diagnostics


def volume(tmp_path, shape, box, seed=0, origin_shift=0.0, name="case"):
    """A noisy float image with a brighter block ROI at ``box`` (z, y, x slices), 1.5 x 1.5 x 2 mm."""
    rng = np.random.default_rng(seed)
    arr = rng.normal(100, 20, shape).astype(np.float32)
    mask = np.zeros(shape, np.uint8)
    mask[box] = 1
    mask[box[0], box[1].start, box[2]] = 0  # not a plain cuboid
    arr[mask == 1] += 50
    spacing = (1.5, 1.5, 2.0)
    image = make_volume(tmp_path / f"{name}_img.nii.gz", arr, spacing=spacing)
    return image, make_volume(tmp_path / f"{name}_msk.nii.gz", mask, spacing=spacing, origin=(origin_shift, 0.0, 0.0),
                              dtype=sitk.sitkUInt8)


def test_plan_partitions_the_pieces_into_balanced_groups():
    params = ct_params()
    items = pieces(params)
    # shape, original, 3 LoG sigmas, 8 wavelet sub-bands (7 details, then the approximation)
    assert [(p.kind, p.image_type, p.sigma, p.band) for p in items[:5]] == [
        ("shape", None, None, None), ("image", "Original", None, None), ("image", "LoG", 1.0, None),
        ("image", "LoG", 2.0, None), ("image", "LoG", 3.0, None)]
    assert [p.band for p in items[5:]] == list(range(8)) and items[-1].weight > items[-2].weight
    sizes = {"box_voxels": 50_000, "image_voxels": 2_000_000, "image_bytes": 8_000_000, "diagnostics": True}
    largest = max(g.cost for g in plan(params, 100, **sizes))  # one piece per group
    for workers in (2, 3, 5):
        groups = plan(params, workers, **sizes)
        assert len(groups) == workers
        members = sorted((p.kind, p.image_type or "", p.sigma or 0, -1 if p.band is None else p.band)
                         for g in groups for p in g.pieces)
        assert members == sorted([(p.kind, p.image_type or "", p.sigma or 0, -1 if p.band is None else p.band)
                                  for p in items] + [("diag_image", "", 0, -1), ("diag_mask", "", 0, -1)])
        costs = [g.cost for g in groups]
        assert max(costs) - min(costs) <= largest  # longest processing time first guarantees it
        # each group is one pyradiomics call over its own images; only one of them has shape
        assert sum("shape" in (g.params or {}).get("featureClass", {}) for g in groups) == 1
    # more workers than pieces: one group per piece
    assert len(plan(params, 40, box_voxels=1000)) == len(items)
    # largest first, each to the least loaded group: 5 | 4, 4+3 | 5+3 | 4+3+3
    assert balance([5, 4, 3, 3, 3], 2) == [[0, 3], [1, 2, 4]]


def test_groups_together_are_the_whole_case(tmp_path):
    image_path, mask_path = volume(tmp_path, (16, 24, 24), (slice(4, 11), slice(5, 13), slice(6, 14)))
    params = ct_params({"shape": None, "firstorder": None, "glcm": ["Contrast", "MCC"], "glszm": ["ZoneEntropy"]})
    whole, _ = plain(image_path, mask_path, params)
    image, mask = sitk.ReadImage(str(image_path)), sitk.ReadImage(str(mask_path))
    for workers in (2, 3, 4):
        seen = {}
        for group in plan(params, workers, box_voxels=2000):
            with _pyradiomics_run(bands=group.bands):
                result = extractor(group.params).execute(image, mask, label=1)
            features = {k: float(v) for k, v in result.items() if not k.startswith("diagnostics_")}
            assert not set(features) & set(seen), "a feature computed by two groups"
            seen.update(features)
        assert seen == whole
    assert len(whole) == 14 + (1 + 3 + 8) * (18 + 2 + 1)


@pytest.mark.parametrize("workers", [2, 3])
def test_cropped_split_equals_plain_pyradiomics_on_ct_phantom(workers):
    image, mask = next((PHANTOM / "image").glob("*.nii.gz")), next((PHANTOM / "mask").glob("*.nii.gz"))
    params = ct_params({"shape": None, "firstorder": None, "glcm": ["Contrast", "MCC", "JointEntropy"], "glszm": None})
    ours = extract_case(image, mask, params, "phantom", workers=workers)
    features, diagnostics = plain(image, mask, params)
    assert_same(ours, features, diagnostics)
    assert set(QC_KEYS) <= set(ours["diagnostics"])
    # the split really ran on a crop: the phantom is 204 x 201 x 60, the ROI's box plus 5 voxels much less
    settings = {**extractor(params).settings, "label": 1}
    assert can_precrop(settings)
    cropped, _ = precrop(sitk.ReadImage(str(image)), sitk.ReadImage(str(mask)), settings)
    assert cropped.GetNumberOfPixels() < 0.25 * 204 * 201 * 60
    assert ours["diagnostics"]["diagnostics_Configuration_EnabledImageTypes"] == str(FILTERS)
    assert ours["diagnostics"]["diagnostics_Image-original_Size"] == [204, 201, 60]


@pytest.mark.parametrize("box", [
    (slice(0, 6), slice(0, 7), slice(0, 8)),          # touches the lower edge on every axis
    (slice(9, 14), slice(15, 20), slice(2, 20)),       # the upper edge on two axes, 2 voxels from x = 0
])
def test_box_at_the_volume_edge(tmp_path, box):
    image, mask = volume(tmp_path, (14, 20, 22), box, seed=5)
    params = ct_params({"shape": None, "firstorder": None, "glcm": ["Contrast"], "gldm": ["DependenceEntropy"]})
    assert_same(extract_case(image, mask, params, "edge", workers=2), *plain(image, mask, params))
    # pyradiomics' own preCrop of the parent's crop crops nothing more
    settings = {**extractor(params).settings, "label": 1}
    once = precrop(sitk.ReadImage(str(image)), sitk.ReadImage(str(mask)), settings)
    twice = precrop(*once, settings)
    assert twice[0].GetSize() == once[0].GetSize() and twice[0].GetOrigin() == once[0].GetOrigin()
    assert once[0].GetSize() != (22, 20, 14)


def test_mask_grid_off_by_a_tolerated_shift_uses_pyradiomics_checks(tmp_path):
    # 1e-5 mm: radiodeep's and the preset's geometry tolerance accept it, the grids are not identical,
    # so the parent crops with pyradiomics' own checkMask (as its preCrop does)
    image, mask = volume(tmp_path, (12, 18, 18), (slice(3, 9), slice(4, 12), slice(5, 11)), seed=2, origin_shift=1e-5)
    params = ct_params({"firstorder": None, "glcm": ["Contrast"]})
    assert_same(extract_case(image, mask, params, "shifted", workers=2), *plain(image, mask, params))


def test_without_precrop_the_groups_run_on_the_full_image(tmp_path):
    image, mask = volume(tmp_path, (12, 18, 18), (slice(3, 9), slice(4, 12), slice(5, 11)), seed=3)
    params = ct_params({"shape": None, "firstorder": None, "glcm": ["Contrast"]}, preCrop=False)
    assert not can_precrop({**extractor(params).settings})
    ours = extract_case(image, mask, params, "full", workers=3)
    assert_same(ours, *plain(image, mask, params))
    assert ours["diagnostics"]["diagnostics_Configuration_EnabledImageTypes"] == str(FILTERS)


def test_ibsi_mode_split_equals_one_process(tmp_path):
    image, mask = volume(tmp_path, (12, 18, 18), (slice(3, 9), slice(4, 12), slice(5, 11)), seed=4)
    params = load_preset("IBSI_C", {"imageType": {"Original": {}, "LoG": {"sigma": [2.0]}}})
    params["featureClass"] = {"shape": ["MeshVolume", "MajorAxisLength"], "firstorder": ["Kurtosis", "Mean"], "glcm": ["Contrast"]}
    one = extract_case(image, mask, params, "ibsi", mode="ibsi")
    split = extract_case(image, mask, params, "ibsi", mode="ibsi", workers=2)
    assert split == one
    assert one["features"]["original_firstorder_Kurtosis"] < 1.0  # excess kurtosis (IBSI), not pyradiomics' (~3)


@pytest.mark.parametrize("pixel", [sitk.sitkUInt8, sitk.sitkInt16, sitk.sitkUInt32, sitk.sitkFloat32, sitk.sitkFloat64])
def test_hashlib_sha1_equals_simpleitk_hash(pixel):
    arr = np.random.default_rng(1).integers(0, 200, (7, 9, 11))
    image = sitk.Cast(sitk.GetImageFromArray(arr), pixel)
    fast = _SitkHashlibSha1()
    assert fast.Hash(image) == sitk.Hash(image)
    assert fast.Hash(image, sitk.HashImageFilter.MD5) == sitk.Hash(image, sitk.HashImageFilter.MD5)
    assert fast.Cast is sitk.Cast
