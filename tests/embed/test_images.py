"""Several images per case: per-image deep tables (image-prefixed columns, one row per case), the
all-image table of the cases with every image, and each image's own U-Net checkpoint."""

from __future__ import annotations

import pandas as pd
import pytest

from radiodeep.embed.images import image_table_paths
from radiodeep.embed.settings import DEFAULT_CHECKPOINT, embed_network_files, image_embed_settings
from radiodeep.embed.stage import build_deep_tables
from radiodeep.io import read_table_metadata, write_json
from radiodeep.manifest_images import expand_units


def _record(tmp_path, unit, values, sha):
    rec = {"case_id": unit, "status": "ok", "backbone": "unet", "pooling": "masked", "weights_sha256": sha,
           "crop_mm": 128, "spacing": 4, "centre": "com", "features": {f"deep-unet_enc1_f{i:04d}": v for i, v in enumerate(values)}}
    write_json(rec, tmp_path / f"{unit}.json")
    return tmp_path / f"{unit}.json"


def test_each_image_embeds_with_its_own_unet():
    own = image_embed_settings({"backbone": "unet-encoder", "checkpoint": DEFAULT_CHECKPOINT}, "results/segmentation/MR/model.pt")
    assert embed_network_files(own) == {"checkpoint": "results/segmentation/MR/model.pt",
                                        "checkpoint_meta": "results/segmentation/MR/model.json"}
    assert image_embed_settings({"backbone": "unet-encoder", "checkpoint": "mine.pt"}, "x/model.pt")["checkpoint"] == "mine.pt"
    assert image_embed_settings({"backbone": "random"}, "x/model.pt") == {"backbone": "random"}


def test_per_image_deep_tables(tmp_path):
    rows = [("A", "PET", "PET"), ("A", "MR", "MR"), ("B", "PET", "PET"), ("B", "MR", "MR"), ("C", "PET", "PET")]
    manifest = expand_units(pd.DataFrame([{"case_id": c, "patient_id": f"P{c}", "image_name": n, "modality": m}
                                          for c, n, m in rows]))
    values = {"A__PET": [1.0, 2.0], "A__MR": [3.0, 4.0], "B__PET": [5.0, 6.0], "B__MR": [7.0, 8.0], "C__PET": [9.0, 10.0]}
    recs = [_record(tmp_path, u, v, "pet-unet" if u.endswith("PET") else "mr-unet") for u, v in values.items()]
    images = [tmp_path / "deep_MR.parquet", tmp_path / "deep_PET.parquet"]
    out = {k: tmp_path / f"deep.{k}" for k in ("parquet", "csv")} | {"dictionary": tmp_path / "dict.csv", "images": images}
    wide = build_deep_tables(recs, manifest, out, "cfghash", modality="PET")
    assert list(wide["case_id"]) == ["A", "B"]  # C lacks MR
    assert wide.loc[1, ["PET_deep-unet_enc1_f0001", "MR_deep-unet_enc1_f0000"]].tolist() == [6.0, 7.0]
    pet, mr = pd.read_parquet(images[1]), pd.read_parquet(images[0])
    assert list(pet["case_id"]) == ["A", "B", "C"] and list(pet["patient_id"]) == ["PA", "PB", "PC"]
    assert [c for c in pet.columns if c not in ("case_id", "patient_id", "roi")] == ["PET_deep-unet_enc1_f0000",
                                                                                    "PET_deep-unet_enc1_f0001"]
    assert mr["MR_deep-unet_enc1_f0000"].tolist() == [3.0, 7.0]
    assert read_table_metadata(images[0])["radiodeep.weights_sha256"] == "mr-unet"
    d = pd.read_csv(out["dictionary"]).set_index("column")
    assert d.loc["MR_deep-unet_enc1_f0001", ["image", "modality", "layer", "weights_sha256"]].tolist() == ["MR", "MR", "enc1", "mr-unet"]
    assert d.loc["PET_deep-unet_enc1_f0000", "weights_sha256"] == "pet-unet" and d["r_name"].is_unique
    with pytest.raises(ValueError, match=r"no output deep_<image>.parquet for image\(s\) \['CT'\]"):
        image_table_paths(images, ["PET", "CT"])
