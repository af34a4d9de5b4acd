"""Training stage on synthetic cases: CV outputs, the empty-mask exclusion, checkpoint reload."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiodeep.errors import RadiodeepError
from radiodeep.segment.checkpoint import load_checkpoint
from radiodeep.segment.stage import segment_case
from tests.segment.conftest import sphere_case, to_image

pytestmark = pytest.mark.slow


def test_cv_outputs_and_dice(trained):
    dice = pd.read_csv(trained["dice"])
    assert list(dice.case_id) == ["C00", "C01", "C02", "C03", "C04", "C05"]
    cv = dice[~dice.fold.isin(["excluded", "not run"])]
    assert sorted(cv.fold.astype(int).unique()) == [0, 1]
    # a bright sphere in noise: both the tiny U-Net and the 40%-SUVmax baseline find it
    assert cv.dice.min() > 0.8, cv
    assert cv.dice_baseline.min() > 0.8, cv
    assert np.allclose(cv.volume_ref_ml, [np.count_nonzero(sphere_case(i)[1]) * 0.064 for i in range(4)])
    for case, path in trained["predicted"].items():
        if case != "C05":
            assert sitk.ReadImage(path).GetSize() == (24, 24, 24)


def test_a_case_failed_upstream_is_listed_not_run_with_a_placeholder(trained):
    dice = pd.read_csv(trained["dice"]).set_index("case_id")
    assert dice.at["C05", "fold"] == "not run" and np.isnan(dice.at["C05", "dice"])
    assert dice.at["C05", "note"] == "not run: failed in preprocess: case C05, file no.nii.gz: truncated"
    assert Path(trained["predicted"]["C05"]).stat().st_size == 0  # declared output, read by no later stage
    assert trained["summary"]["n"] == 5  # C00-C03 out-of-fold and C04 excluded; C05 counts nowhere


def test_empty_reference_mask_excluded_with_reason(trained):
    dice = pd.read_csv(trained["dice"]).set_index("case_id")
    assert dice.at["C04", "fold"] == "excluded" and "reference mask is empty" in dice.at["C04", "note"]
    assert any("C04" in m and "reference mask is empty" in m for m in trained["messages"])
    meta = json.loads(trained["model"].with_suffix(".json").read_text())
    assert [c["case_id"] for c in meta["training_cases"]] == ["C00", "C01", "C02", "C03"]
    assert meta["cv"]["excluded"] == {"C04": dice.at["C04", "note"]}
    for key in ("architecture", "spacing", "patch_size", "intensity", "modality", "label_map", "versions"):
        assert key in meta
    assert meta["spacing"] == [4.0, 4.0, 4.0] and meta["modality"] == "PET"
    assert len(meta["training_cases"][0]["image_sha256"]) == 64


def test_reloaded_model_in_new_process_gives_identical_mask(trained, tmp_path):
    image, mask = sphere_case(11)
    sitk.WriteImage(to_image(image), str(tmp_path / "img.nii.gz"))
    segment_case(tmp_path / "img.nii.gz", trained["model"], tmp_path / "here.nii.gz", device="cpu")
    code = "import sys; from radiodeep.cli import main; sys.argv = ['radiodeep'] + sys.argv[1:]; main()"
    proc = subprocess.run([sys.executable, "-c", code, "segment", "--model", str(trained["model"]), "--device", "cpu",
                           str(tmp_path / "img.nii.gz"), "-o", str(tmp_path / "there.nii.gz")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    here = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "here.nii.gz")))
    there = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / "there.nii.gz")))
    assert here.sum() > 0.8 * mask.sum()
    assert np.array_equal(here, there)


def test_flipped_direction_and_other_spacing_give_mask_on_own_grid(trained, tmp_path):
    image, mask = sphere_case(12)
    plain = to_image(image)
    # the same physical volume stored with the x axis reversed
    flipped = to_image(image[:, :, ::-1].copy(), origin=(23 * 4.0, 0.0, 0.0), direction=(-1, 0, 0, 0, 1, 0, 0, 0, 1))
    fine = sitk.Resample(plain, [36, 36, 36], sitk.Transform(), sitk.sitkLinear, (-1.0, -1.0, -1.0), (8 / 3,) * 3,
                         plain.GetDirection(), 0.0, sitk.sitkFloat32)
    masks = {}
    for name, img in {"plain": plain, "flipped": flipped, "fine": fine}.items():
        sitk.WriteImage(img, str(tmp_path / f"{name}.nii.gz"))
        segment_case(tmp_path / f"{name}.nii.gz", trained["model"], tmp_path / f"{name}_mask.nii.gz", device="cpu")
        out = sitk.ReadImage(str(tmp_path / f"{name}_mask.nii.gz"))
        for attr in ("GetSize", "GetSpacing", "GetOrigin", "GetDirection"):
            assert np.allclose(getattr(out, attr)(), getattr(img, attr)()), (name, attr)
        masks[name] = out
    plain_mask = sitk.GetArrayFromImage(masks["plain"])
    assert np.array_equal(sitk.GetArrayFromImage(masks["flipped"])[:, :, ::-1], plain_mask)
    on_plain = sitk.GetArrayFromImage(sitk.Resample(masks["fine"], masks["plain"], sitk.Transform(), sitk.sitkNearestNeighbor))
    assert 2 * (on_plain & plain_mask).sum() / (on_plain.sum() + plain_mask.sum()) > 0.85


def test_volume_smaller_than_patch_is_padded(trained):
    import torch

    from radiodeep.segment.data import normalise
    from radiodeep.segment.infer import predict_probability

    net, meta = load_checkpoint(trained["model"])
    image, mask = sphere_case(5, shape=(14, 15, 13), radius=3)
    x = normalise(image, meta["intensity"])
    torch.manual_seed(0)
    prob = predict_probability(net, x, meta["patch_size"])
    assert prob.shape == (14, 15, 13)
    # what sliding_window_inference must do: zero-pad symmetrically to 16^3, predict, crop back
    pads = [((16 - s) // 2, 16 - s - (16 - s) // 2) for s in x.shape]
    with torch.inference_mode():
        full = torch.softmax(net(torch.from_numpy(np.pad(x, pads))[None, None]), 1)[0, 1].numpy()
    crop = full[tuple(slice(a, a + s) for (a, _), s in zip(pads, x.shape, strict=True))]
    assert np.allclose(prob, crop, atol=1e-5)
    assert ((prob >= 0.5) & (mask == 1)).sum() > 0.5 * mask.sum()


def test_corrupt_checkpoint_gives_clear_error(trained, tmp_path):
    bad = tmp_path / "model.pt"
    bad.write_bytes(b"not a torch file")
    (tmp_path / "model.json").write_text(trained["model"].with_suffix(".json").read_text())
    with pytest.raises(RadiodeepError, match=r"model\.pt cannot be read"):
        load_checkpoint(bad)


def test_modality_mismatch_is_named(trained, tmp_path):
    sitk.WriteImage(to_image(sphere_case(1)[0]), str(tmp_path / "ct.nii.gz"))
    with pytest.raises(RadiodeepError, match="modality CT but the model was trained on PET"):
        segment_case(tmp_path / "ct.nii.gz", trained["model"], tmp_path / "m.nii.gz", modality="CT", case_id="X")


def test_channels_last_path_equals_plain_and_leaves_the_network_alone(trained):
    """The CUDA default (weights and windows channels-last 3D), run here on CPU: same probabilities,
    and the caller's network keeps its own layout."""
    from radiodeep.segment.data import normalise
    from radiodeep.segment.infer import predict_probability

    net, meta = load_checkpoint(trained["model"])
    image, _ = sphere_case(7, shape=(40, 36, 30), radius=6)
    x = normalise(image, meta["intensity"])
    plain = predict_probability(net, x, meta["patch_size"], channels_last=False)
    fast = predict_probability(net, x, meta["patch_size"], channels_last=True)
    assert plain.shape == x.shape and plain.max() > 0.5  # the sphere is found: not two empty maps
    assert np.allclose(plain, fast, atol=1e-5)
    weights = [p for p in net.parameters() if p.dim() == 5]
    assert weights and all(p.is_contiguous() for p in weights)
