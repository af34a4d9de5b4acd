"""mask_from with DICOM on both sides, through Snakemake: STS_002 and STS_024 each have a CT DICOM
series with its RTSTRUCT; STS_002's PET and STS_024's MR-T1 DICOM series take their masks from the
CT (rule carry_mask on the CT's ingested mask; their ingest batches run after the CT's)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import SimpleITK as sitk
import yaml

from tests.conftest import snakemake
from tests.ingest.conftest import STS, multimodal_series

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def carried_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("mask_from_dicom")
    rows = []
    for label, (case, other, folder) in enumerate((("STS_002", "PET", STS / "dicom" / "STS_002" / "image"),
                                                   ("STS_024", "MR", None))):
        ct, rs = multimodal_series(case, "CT")
        folder = folder or multimodal_series(case, "MR")[0]
        rows += [{"case_id": case, "image_name": "CT", "modality": "CT", "image": str(ct), "mask": str(rs),
                  "mask_from": "", "label": label},
                 {"case_id": case, "image_name": other, "modality": other, "image": str(folder), "mask": "",
                  "mask_from": "CT", "label": label}]
    for label, case in enumerate(("STS_001", "STS_003")):  # PET DICOM + RTSTRUCT only: two of each class
        rows.append({"case_id": case, "image_name": "PET", "modality": "PET", "image": str(STS / "dicom" / case / "image"),
                     "mask": str(STS / "dicom" / case / "mask" / "RS.dcm"), "mask_from": "", "label": label})
    pd.DataFrame(rows).to_csv(work / "manifest.csv", index=False)
    (work / "study.yaml").write_text(yaml.safe_dump({"manifest": str(work / "manifest.csv"), "model": {"folds": 2},
                                                     "segment": {"enabled": False, "mask_source": "reference"}}))
    snakemake("results/ingest/cross_image_qc.csv", "--cores", "2", "--directory", str(work),
              "--configfile", str(work / "study.yaml"), cwd=work)
    return work / "results"


def test_dicom_masks_carried_onto_dicom_series(carried_run):
    ingest = carried_run / "ingest"
    headers = {u: json.loads((ingest / u / "header.json").read_text())
               for u in ("STS_002__CT", "STS_002__PET", "STS_024__CT", "STS_024__MR")}
    assert {u: (h["source_format"], h["mask_format"]) for u, h in headers.items()} == {
        "STS_002__CT": ("dicom", "rtstruct"), "STS_002__PET": ("dicom", "label_map"),
        "STS_024__CT": ("dicom", "rtstruct"), "STS_024__MR": ("dicom", "label_map")}
    for unit in ("STS_002__PET", "STS_024__MR"):  # the carried file is on the grid ingest read from the series
        carried = sitk.ReadImage(str(carried_run / "carried" / unit / "mask.nii.gz"))
        assert carried.GetSize() == tuple(headers[unit]["size"])
        assert int(sitk.GetArrayViewFromImage(carried).sum()) == headers[unit]["roi_voxels"] > 0
    qc = pd.read_csv(ingest / "cross_image_qc.csv")
    pairs = qc[qc["status"] != "missing_image"].set_index("case_id")
    assert sorted(pairs.index) == ["STS_002", "STS_024"] and not pairs["flag"].any()
    assert (pairs["centroid_distance_mm"] < 1.0).all() and (pairs["volume_ratio"] < 1.05).all()
    assert pairs["image_a"].to_dict() == {"STS_002": "CT", "STS_024": "CT"}
    assert pairs["image_b"].to_dict() == {"STS_002": "PET", "STS_024": "MR"}
    missing = qc[qc["status"] == "missing_image"].set_index("case_id")["image_a"]
    assert missing.to_dict() == {"STS_002": "MR", "STS_024": "PET", "STS_001": "CT,MR", "STS_003": "CT,MR"}
