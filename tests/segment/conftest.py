"""Synthetic PET-like cases (a hot sphere in noise) and a tiny U-Net trained on them once."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

TINY = {
    "architecture": {"name": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 2,
                     "channels": [4, 8], "strides": [2], "num_res_units": 0},
    "patch_size": [16, 16, 16], "steps": 60, "val_every": 20, "lr": 0.01, "folds": 2,
    "batch_size": 2, "samples_per_volume": 2, "min_dice": 0.5,
}


def sphere_case(seed: int, shape=(24, 24, 24), radius: float = 4.5, empty: bool = False):
    """(image array in SUV, mask array) with a sphere of SUV ~8 at a random place in noise ~1."""
    rng = np.random.default_rng(seed)
    lo = np.minimum(7, np.array(shape) // 2)
    centre = rng.integers(lo, np.maximum(np.array(shape) - 7, lo + 1))
    zz, yy, xx = np.indices(shape)
    mask = ((zz - centre[0]) ** 2 + (yy - centre[1]) ** 2 + (xx - centre[2]) ** 2 <= radius**2).astype(np.uint8)
    image = rng.normal(1.0, 0.2, shape).astype(np.float32) + 7.0 * mask
    return image, (np.zeros_like(mask) if empty else mask)


def to_image(array, spacing=(4.0, 4.0, 4.0), origin=(0.0, 0.0, 0.0), direction=None, dtype=sitk.sitkFloat32):
    img = sitk.Cast(sitk.GetImageFromArray(array), dtype)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    if direction is not None:
        img.SetDirection(direction)
    return img


def write_cases(folder, n: int, empty: tuple[int, ...] = ()) -> pd.DataFrame:
    rows = []
    for i in range(n):
        image, mask = sphere_case(i, empty=i in empty)
        cid = f"C{i:02d}"
        sitk.WriteImage(to_image(image), str(folder / f"{cid}_image.nii.gz"))
        sitk.WriteImage(to_image(mask, dtype=sitk.sitkUInt8), str(folder / f"{cid}_mask.nii.gz"))
        rows.append({"case_id": cid, "patient_id": f"P{i:02d}", "image": str(folder / f"{cid}_image.nii.gz"),
                     "mask": str(folder / f"{cid}_mask.nii.gz")})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 2-fold CV + final tiny model on 5 synthetic cases, one of them with an empty mask."""
    import logging

    import torch

    from radiodeep.segment.stage import train_segmenter

    torch.set_num_threads(2)
    folder = tmp_path_factory.mktemp("seg")
    cases = write_cases(folder, 5, empty=(4,))
    # a sixth case failed in preprocess under on_error: skip (its files were never written)
    cases = pd.concat([cases, pd.DataFrame([{"case_id": "C05", "patient_id": "P05", "image": str(folder / "no.nii.gz"),
                                             "mask": str(folder / "no_mask.nii.gz")}])], ignore_index=True)
    out = {"model": folder / "model.pt", "dice": folder / "dice.csv"}
    predicted = {c: str(folder / "pred" / f"{c}.nii.gz") for c in cases.case_id}
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("radiodeep").addHandler(handler)
    logging.getLogger("radiodeep").setLevel(logging.INFO)
    try:
        summary = train_segmenter(cases, out, predicted, TINY, "PET", seed=3, threads=2,
                                  failed={"C05": "preprocess: case C05, file no.nii.gz: truncated", "X": "ingest: other"})
    finally:
        logging.getLogger("radiodeep").removeHandler(handler)
    return {"folder": folder, "cases": cases, "summary": summary, "predicted": predicted,
            "messages": [r.getMessage() for r in records], **out}
