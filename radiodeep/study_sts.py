"""The manifest of the sarcoma re-analysis (Vallieres et al. 2015): FDG-PET, CT and MR-T1 per
patient, with the clinical table's covariates and endpoints (``workflow/studies/sts_multimodal.yaml``).

Layout read (the IBSI team's NIfTI release of the TCIA Soft-tissue-Sarcoma collection):
``PET_DIR/STS_xxx/PET_image.nii.gz`` + ``PET_mask.nii.gz``, ``MULTI_DIR/CT/STS_xxx/CT_image.nii.gz`` +
``CT_mask.nii.gz``, ``MULTI_DIR/MR_T1/STS_xxx/MR_T1_image.nii.gz`` + ``MR_T1_mask.nii.gz`` and
``MULTI_DIR/clinical/sts_survival_derived.csv``. One row per patient and image found
(``image_name`` PET, CT, MR); a patient lacking an image simply has fewer rows.

Example:
    python -m radiodeep.study_sts data/sts_pet ../shared/data/sts_multimodal -o cohort/manifest.csv
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from radiodeep.io import write_table

IMAGES = (("PET", "PET", None, "PET"), ("CT", "CT", "CT", "CT"), ("MR", "MR", "MR_T1", "MR_T1"))
CLINICAL = ["lung_metastasis", "lung_metastasis_time_days", "death", "followup_days", "age", "sex", "grade",
            "mskcc_type"]


def sts_multimodal_manifest(pet_dir: str | Path, multi_dir: str | Path, out: str | Path,
                            patients: Sequence[str] | None = None, images: Sequence[str] = ("PET", "CT", "MR")) -> pd.DataFrame:
    """Write the manifest (paths relative to its folder); ``patients``: only these (default: every
    patient with a PET image); ``images``: the image names to include."""
    pet_dir, multi_dir, out = Path(pet_dir), Path(multi_dir), Path(out)
    clinical = pd.read_csv(multi_dir / "clinical" / "sts_survival_derived.csv", dtype=str, keep_default_na=False)
    clinical = clinical.set_index("patient_id")
    ids = sorted(p.name for p in pet_dir.iterdir() if (p / "PET_image.nii.gz").is_file()) if patients is None else list(patients)
    rows = []
    for pid in ids:
        for name, modality, folder, stem in IMAGES:
            if name not in images:
                continue
            base = pet_dir / pid if folder is None else multi_dir / folder / pid
            image, mask = base / f"{stem}_image.nii.gz", base / f"{stem}_mask.nii.gz"
            if not image.is_file():
                continue
            rel = {k: os.path.relpath(v.resolve(), out.resolve().parent) for k, v in (("image", image), ("mask", mask))}
            rows.append({"case_id": pid, "patient_id": pid, "image_name": name, "modality": modality, **rel,
                         **{c: clinical.at[pid, c] for c in CLINICAL}})
    table = pd.DataFrame(rows)
    write_table(table, out)
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pet_dir")
    parser.add_argument("multi_dir")
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--patients", nargs="*", default=None)
    args = parser.parse_args(argv)
    table = sts_multimodal_manifest(args.pet_dir, args.multi_dir, args.out, args.patients)
    print(f"{args.out}: {table['case_id'].nunique()} patients, {len(table)} images")


if __name__ == "__main__":
    main()
