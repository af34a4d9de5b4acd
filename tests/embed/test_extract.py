import json
import os
import subprocess
import sys

import numpy as np
import pytest
import SimpleITK as sitk
import torch

from radiodeep.embed import CaseInput, build_backbone, embed_cases, pool, run_embedding
from radiodeep.errors import RadiodeepError
from tests.conftest import DEMO, REPO
from tests.embed.conftest import TINY_RESNET, blobs

torch.set_num_threads(1)


def _write(tmp_path, name, image, mask):
    sitk.WriteImage(image, str(tmp_path / f"{name}_image.nii.gz"))
    sitk.WriteImage(mask, str(tmp_path / f"{name}_mask.nii.gz"))
    return CaseInput(name, tmp_path / f"{name}_image.nii.gz", tmp_path / f"{name}_mask.nii.gz")


def _vectors(records):
    return {r["case_id"]: np.array(list(r["features"].values())) for r in records}


def _cos(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_masked_pooling_averages_inside_the_roi():
    fmap = torch.arange(2 * 4 * 4 * 4, dtype=torch.float32).reshape(1, 2, 4, 4, 4)
    roi = torch.zeros(1, 1, 8, 8, 8)
    roi[..., :4, :, :] = 1  # first half along z -> first two z-planes of the 4^3 map
    assert torch.allclose(pool(fmap, roi, "masked"), fmap[..., :2, :, :].mean(dim=(2, 3, 4)))
    assert torch.allclose(pool(fmap, roi, "global"), fmap.mean(dim=(2, 3, 4)))
    empty = pool(fmap, torch.zeros(1, 1, 8, 8, 8), "masked")  # no ROI at this level: global mean
    assert torch.equal(empty, fmap.mean(dim=(2, 3, 4)))


@pytest.mark.parametrize("backbone", ["unet-encoder", "random"])
def test_translation_by_whole_voxels_leaves_the_embedding_unchanged(tmp_path, unet_checkpoint, backbone):
    image, mask = blobs(2.0)
    shift = (3, -2, 5)  # voxels along z, y, x: image and mask move together
    moved = [sitk.GetImageFromArray(np.roll(sitk.GetArrayFromImage(im), shift, axis=(0, 1, 2))) for im in (image, mask)]
    for m in moved:
        m.CopyInformation(image)
    cases = [_write(tmp_path, "a", image, mask), _write(tmp_path, "b", *moved)]
    settings = {"backbone": backbone, "checkpoint": str(unet_checkpoint), "resnet": TINY_RESNET,
                "crop_mm": 64, "spacing": 2.0, "levels": None}
    vec = _vectors(embed_cases(cases, build_backbone(settings), pooling="masked"))
    assert vec["a"].size > 0 and np.abs(vec["a"]).max() > 1e-3
    np.testing.assert_allclose(vec["b"], vec["a"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("backbone", ["unet-encoder", "random"])
def test_other_spacing_same_physical_content_gives_a_close_embedding(tmp_path, unet_checkpoint, backbone):
    cases = [_write(tmp_path, "fine", *blobs(2.0)), _write(tmp_path, "coarse", *blobs(3.0))]
    settings = {"backbone": backbone, "checkpoint": str(unet_checkpoint), "resnet": TINY_RESNET, "crop_mm": 64}
    bb = build_backbone(settings)  # 4 mm crop grid (the checkpoint's; preprocess's for random)
    vec = _vectors(embed_cases(cases, bb))
    assert _cos(vec["fine"], vec["coarse"]) >= 0.95
    # and the check has teeth: a shifted lesion (content moved 8 mm relative to the ROI) is further away
    image, _ = blobs(2.0, shift_mm=(8.0, 8.0, 0.0))
    other = _write(tmp_path, "moved", image, blobs(2.0)[1])
    far = _vectors(embed_cases([other], bb))["moved"]
    assert _cos(vec["fine"], far) < _cos(vec["fine"], vec["coarse"])


def test_missing_weights_fail_before_any_case_is_read(tmp_path, monkeypatch):
    import radiodeep.embed.extract as extract

    monkeypatch.setattr(extract, "read_image", lambda *a, **k: pytest.fail("a case was read"))
    missing = tmp_path / "weights" / "fmcib.torch"
    with pytest.raises(RadiodeepError, match=str(missing)):
        run_embedding([CaseInput("c", "i.nii.gz", "m.nii.gz")], {"backbone": "resnet", "preset": "fmcib",
                      "weights": str(missing)}, [tmp_path / "c.json"], modality="CT")
    assert not (tmp_path / "c.json").exists()


def test_bad_case_is_skipped_without_touching_the_others(tmp_path):
    good = _write(tmp_path, "good", *blobs(4.0))
    image, mask = blobs(4.0)
    empty = sitk.Image(mask.GetSize(), sitk.sitkUInt8)
    empty.CopyInformation(mask)
    bad = _write(tmp_path, "bad", image, empty)
    bb = build_backbone({"backbone": "random", "resnet": TINY_RESNET, "crop_mm": 48})
    # an empty mask (the U-Net found nothing) is an excluded case even under on_error: fail
    recs = {r["case_id"]: r for r in embed_cases([bad, good], bb, on_error="fail")}
    assert recs["bad"]["status"] == "excluded" and "case bad, file " in recs["bad"]["reason"]
    assert "the U-Net found no ROI" in recs["bad"]["reason"] and recs["bad"]["features"] == {}
    alone = _vectors(embed_cases([good], bb))["good"]
    np.testing.assert_allclose(_vectors([recs["good"]])["good"], alone, rtol=1e-5, atol=1e-6)


def test_same_case_in_two_processes_gives_bitwise_identical_vectors(tmp_path):
    case = DEMO / "STS_003"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs, outs = [], [tmp_path / "a.json", tmp_path / "b.json"]
    bystander = tmp_path / "STS_003.json"  # another file named after the case id: never touched
    bystander.write_text("keep")
    for out in outs:  # two independent processes, run side by side
        cmd = [sys.executable, "-c", "from radiodeep.cli import main; main()", "embed", str(case / "PET_image.nii.gz"),
               str(case / "PET_mask.nii.gz"), "-o", str(out), "--backbone", "random", "--depth", "10",
               "--widen-factor", "0.25", "--level", "layer3", "--level", "layer4", "--crop-mm", "64",
               "--spacing", "2", "--case-id", "STS_003", "--threads", "1", "--modality", "PET"]
        procs.append(subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    assert bystander.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["STS_003.json", "a.json", "b.json"]
    outs = [json.loads(out.read_text()) for out in outs]
    a, b = (np.array(list(o["features"].values()), dtype=np.float64) for o in outs)
    assert a.shape == (64 + 128,) and np.all(np.isfinite(a)) and a.std() > 0
    assert a.tobytes() == b.tobytes()
    assert outs[0]["weights_sha256"] == "random-seed-42" and outs[0]["crop_shape"] == [32, 32, 32]


def _cohort(tmp_path, n):
    """n synthetic cases; the ROI moves so that every case has its own vector."""
    cases = []
    for i in range(n):
        image, _ = blobs(4.0)
        _, mask = blobs(4.0, shift_mm=(4.0 * i, 0.0, 0.0))
        cases.append(_write(tmp_path, f"c{i}", image, mask))
    return cases


def test_cases_stream_through_the_network_a_batch_at_a_time(tmp_path, monkeypatch):
    import radiodeep.embed.extract as extract

    cases = _cohort(tmp_path, 5)
    bb = build_backbone({"backbone": "random", "resnet": TINY_RESNET, "crop_mm": 48})
    whole = _vectors(embed_cases(cases, bb, batch_size=8))  # one batch of all 5
    reads = []
    read_image = extract.read_image
    monkeypatch.setattr(extract, "read_image", lambda path, case_id: reads.append(case_id) or read_image(path, case_id))
    stream = embed_cases(cases, bb, batch_size=2)
    first = next(stream)
    # the first record comes out after its batch of 2: the other 3 cases are not read yet
    assert first["case_id"] == "c0" and reads == ["c0", "c1"]
    rest = list(stream)
    assert [r["case_id"] for r in rest] == ["c1", "c2", "c3", "c4"] and reads == [c.case_id for c in cases]
    streamed = _vectors([first, *rest])
    assert len({v.tobytes() for v in streamed.values()}) == 5
    for cid, vec in whole.items():  # batches of 2 or of 5: the same vectors up to float rounding
        np.testing.assert_allclose(streamed[cid], vec, rtol=1e-5, atol=1e-6)


def test_each_record_is_written_as_its_batch_finishes(tmp_path):
    cases = _cohort(tmp_path, 4)
    image, mask = blobs(4.0)
    other = sitk.Cast(mask > 0, sitk.sitkUInt8) * 2  # only label 2: label 1 is absent (an empty mask would be excluded)
    cases.append(_write(tmp_path, "bad", image, other))  # the 5th case fails (on_error: fail)
    settings = {"backbone": "random", "resnet": TINY_RESNET, "crop_mm": 48, "batch_size": 2}
    outputs = [tmp_path / "out" / f"{c.case_id}.json" for c in cases]
    with pytest.raises(RadiodeepError, match="case bad, file .*label 1 is absent"):
        run_embedding(cases, settings, outputs)
    # the two batches before the bad case were written when they finished
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["c0.json", "c1.json", "c2.json", "c3.json"]
    written = json.loads((tmp_path / "out" / "c3.json").read_text())
    assert written["status"] == "ok" and written["crop_shape"] == [12, 12, 12] and len(written["features"]) == 128
    assert run_embedding(cases[:1], settings, [])[0]["case_id"] == "c0"  # no output: returned
    with pytest.raises(RadiodeepError, match=r"\['other'\] name no case"):
        run_embedding(cases[:1], settings, [tmp_path / "other.json"])
