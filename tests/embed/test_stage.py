import pandas as pd
import pytest

from radiodeep.embed.settings import embed_network_files, embed_settings
from radiodeep.embed.stage import build_deep_tables
from radiodeep.errors import RadiodeepError
from radiodeep.io import write_json


def test_settings_and_network_files():
    s = embed_settings({"embed": {"backbone": "unet-encoder", "checkpoint": "seg/model.pt"}, "preprocess": {"spacing": [3, 3, 3]}})
    assert s["fallback_spacing"] == [3, 3, 3]
    assert embed_network_files(s) == {"checkpoint": "seg/model.pt", "checkpoint_meta": "seg/model.json"}
    assert embed_network_files({"backbone": "resnet", "weights": "w.pt"}) == {"weights": "w.pt"}
    assert embed_network_files({"backbone": "random"}) == {}
    with pytest.raises(RadiodeepError, match="embed.weights is not set"):
        embed_settings({"embed": {"backbone": "resnet", "weights": None}})


def _record(tmp_path, cid, values, sha="abc", status="ok"):
    rec = {"case_id": cid, "status": status, "backbone": "unet", "pooling": "masked", "weights_sha256": sha,
           "crop_mm": 128, "spacing": 4, "centre": "com",
           "features": {f"deep-unet_enc1_f{i:04d}": v for i, v in enumerate(values)}}
    if status != "ok":
        rec.update(features={}, reason="case x: bad mask")
    write_json(rec, tmp_path / f"{cid}.json")
    return tmp_path / f"{cid}.json"


def test_deep_tables_and_dictionary(tmp_path):
    manifest = pd.DataFrame({"case_id": ["b", "a", "c"], "patient_id": ["P1", "P2", "P3"]})
    recs = [_record(tmp_path, "b", [1.5, -2.0]), _record(tmp_path, "a", [0.25, 3.0]), _record(tmp_path, "c", [], status="skipped")]
    out = {k: tmp_path / f"deep.{k}" for k in ("parquet", "csv")} | {"dictionary": tmp_path / "dict.csv"}
    wide = build_deep_tables(recs, manifest, out, "cfghash")
    assert list(wide["case_id"]) == ["a", "b"] and list(wide["patient_id"]) == ["P2", "P1"]
    assert wide["deep-unet_enc1_f0001"].tolist() == [3.0, -2.0]
    d = pd.read_csv(out["dictionary"])
    assert d[["column", "layer", "backbone", "pooling", "weights_sha256"]].iloc[1].tolist() == [
        "deep-unet_enc1_f0001", "enc1", "unet", "masked", "abc"]
    mixed = recs[:2] + [_record(tmp_path, "c", [1.0, 1.0], sha="other")]
    with pytest.raises(ValueError, match="different weights"):
        build_deep_tables(mixed, manifest, out)
