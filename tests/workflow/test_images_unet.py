"""A U-Net and CNN embeddings per image (README "Several images per case") on 6 patients of the
shared STS subset x PET + MR-T1 (STS_032's MR row without its mask): one tiny U-Net per image
(12 steps, a 32^3 patch), inference of the unmasked unit with its image's model, unet-encoder
embeddings with each image's own U-Net, deep tables per image. Segmentation and deep tables only
(no radiomics or model run); a dry run shows the model reading deep_PET and deep_MR."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
import yaml

from radiodeep.io import read_table_metadata
from radiodeep.study_sts import sts_multimodal_manifest
from tests.conftest import DEMO, REPO, snakemake

pytestmark = pytest.mark.slow
MULTI = REPO.parent / "shared" / "data" / "sts_multimodal"
PATIENTS = ["STS_002", "STS_004", "STS_014", "STS_021", "STS_027", "STS_032"]  # 3 with lung metastasis
UNMASKED = "STS_032__MR"
TINY = {"enabled": True, "mask_source": "reference", "folds": 2, "steps": 12, "val_every": 10, "tta": False,
        "patch_size": [32, 32, 32], "parallel_models": False,
        "architecture": {"name": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 2, "channels": [4, 8, 16],
                         "strides": [2, 2]}}
TARGETS = ["results/segmentation/dice.csv", "results/features/deep.parquet", f"results/segmentation/predicted/{UNMASKED}/mask.nii.gz"]


@pytest.fixture(scope="module")
def unet_run(tmp_path_factory):
    if not MULTI.is_dir():
        pytest.skip(f"shared data {MULTI} not present")
    work = tmp_path_factory.mktemp("images_unet")
    manifest = sts_multimodal_manifest(DEMO, MULTI, work / "cohort" / "manifest.csv", PATIENTS, images=("PET", "MR"))
    manifest.loc[(manifest["case_id"] == "STS_032") & (manifest["image_name"] == "MR"), "mask"] = ""
    manifest.to_csv(work / "cohort" / "manifest.csv", index=False)
    study = {"manifest": str(work / "cohort" / "manifest.csv"), "label": "lung_metastasis", "modality": "PET", "segment": TINY,
             "model": {"folds": 2, "feature_sets": ["deep_PET", "deep_MR", "early_fusion"],
                       "fusion_sources": ["deep_PET", "deep_MR", "handcrafted_PET"]}}
    (work / "study.yaml").write_text(yaml.safe_dump(study))
    args = ["--cores", "2", "--scheduler", "greedy", "--directory", str(work), "--configfile", str(work / "study.yaml")]
    snakemake(*TARGETS, *args, cwd=work)  # the targets first: --configfile takes several
    return work, args


def test_a_unet_per_image(unet_run):
    work, _ = unet_run
    seg = work / "results" / "segmentation"
    assert not (seg / "model.pt").exists() and not (seg / "model.json").exists()  # the one-image paths stay unused
    dice = {}
    for name, n in (("PET", 6), ("MR", 5)):
        assert (seg / name / "model.pt").stat().st_size > 0 and (seg / name / "model.json").is_file()
        table = pd.read_csv(seg / name / "dice.csv")
        assert sorted(table["case_id"]) == [f"{p}__{name}" for p in PATIENTS][:n]  # STS_032's MR is not scored
        assert table["patient_id"].tolist() == [c.split("__")[0] for c in table["case_id"]]
        dice[name] = table["dice"].mean()
        for unit, volume in zip(table["case_id"], table["volume_ref_ml"], strict=True):
            mask = sitk.ReadImage(str(seg / "predicted" / unit / "mask.nii.gz"))  # out-of-fold, on the unit's own grid
            assert mask.GetSize() == sitk.ReadImage(str(work / "results" / "preprocess" / unit / "image.nii")).GetSize()
            reference = sitk.ReadImage(str(work / "results" / "preprocess" / unit / "mask.nii"))
            own = (sitk.GetArrayFromImage(reference) > 0).sum() * np.prod(reference.GetSpacing()) / 1000
            assert volume == pytest.approx(own, rel=1e-3), unit  # scored against this unit's own mask
    # a trained net finds the tumour (12 steps, measured: PET 0.32, MR 0.087 mean out-of-fold Dice)
    assert 0.1 < dice["PET"] < 0.9 and 0.01 < dice["MR"] < 0.9, dice
    combined = pd.read_csv(seg / "dice.csv")
    assert combined.groupby("image", sort=False).size().to_dict() == {"PET": 6, "MR": 5}
    predicted = sitk.ReadImage(str(seg / "predicted" / UNMASKED / "mask.nii.gz"))
    image = sitk.ReadImage(str(work / "results" / "preprocess" / UNMASKED / "image.nii"))
    assert predicted.GetSize() == image.GetSize() and predicted.GetSpacing() == pytest.approx(image.GetSpacing())


def test_deep_tables_per_image(unet_run):
    work, _ = unet_run
    features = work / "results" / "features"
    tables = {name: pd.read_parquet(features / f"deep_{name}.parquet") for name in ("PET", "MR")}
    hashes = set()
    for name, table in tables.items():
        assert sorted(table["case_id"]) == PATIENTS and table["case_id"].is_unique
        columns = [c for c in table.columns if c not in ("case_id", "patient_id", "roi")]
        assert columns and all(c.startswith(f"{name}_deep-unet_enc") for c in columns)
        assert table[columns].notna().all().all() and (table[columns].std() > 0).any()
        hashes.add(read_table_metadata(features / f"deep_{name}.parquet")["radiodeep.weights_sha256"])
    assert len(hashes) == 2  # each image embedded with its own U-Net
    wide = pd.read_parquet(features / "deep.parquet")
    assert sorted(wide["case_id"]) == PATIENTS and len(wide.columns) == 3 + sum(len(t.columns) - 3 for t in tables.values())
    dictionary = pd.read_csv(features / "deep_dictionary.csv")
    assert dict(zip(dictionary["image"], dictionary["modality"], strict=False)) == {"PET": "PET", "MR": "MR"}


def test_model_reads_the_per_image_deep_tables(unet_run):
    work, args = unet_run
    out = snakemake("-n", "results/evaluation/oof_predictions.csv", *args, cwd=work).stdout
    model = out[out.index("rule model:"):]
    model = model[:model.index("\n\n")] if "\n\n" in model else model
    assert "results/features/deep_PET.parquet" in model and "results/features/deep_MR.parquet" in model
    assert "results/features/radiomics_PET.parquet" in model and "results/segmentation/model.pt" not in out


def test_an_unmasked_image_left_out_of_segment_images_is_refused(unet_run):
    work, args = unet_run
    proc = snakemake("-n", *args, "--config", "segment={enabled: true, mask_source: reference, images: [PET]}",
                     cwd=work, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in text
    assert "image MR: 1 unit(s) without a mask (first STS_032__MR)" in text and "add it to segment.images" in text
