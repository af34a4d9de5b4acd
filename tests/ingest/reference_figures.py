"""Print the DICOM-vs-IBSI-NIfTI figures (CT phantom, STS PET 001-010, STS_002/024 CT and MR-T1 from ../shared/data). Run: PYTHONPATH=$PWD python tests/ingest/reference_figures.py"""
import tempfile
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiodeep.ingest import ingest_case

D = Path("tests/data/dicom")


def r(p):
    return sitk.ReadImage(str(p))


a = sitk.GetArrayFromImage


def dice(x, y):
    return 2 * np.count_nonzero((x > 0) & (y > 0)) / (np.count_nonzero(x) + np.count_nonzero(y))


with tempfile.TemporaryDirectory() as t:
    ingest_case(D/"ct_phantom/dicom/image", D/"ct_phantom/dicom/mask/DCM_RS_00060.dcm", t, roi="GTV-1", modality="CT")
    i, ri = r(f"{t}/image.nii.gz"), r(D/"ct_phantom/nifti/image/phantom.nii.gz")
    m, rm = a(r(f"{t}/mask.nii.gz")), a(r(D/"ct_phantom/nifti/mask/mask.nii.gz"))
    print(f"CT phantom: max|HU diff| {np.abs(a(i)-a(ri)).max()}, voxels differing {np.count_nonzero(a(i)!=a(ri))}, mask voxels {m.sum()} vs {rm.sum()}, Dice {dice(m, rm):.4f}")
for k in range(1, 11):
    c = f"STS_{k:03d}"
    with tempfile.TemporaryDirectory() as t:
        ingest_case(D/f"sts_pet/dicom/{c}/image", D/f"sts_pet/dicom/{c}/mask/RS.dcm", t, roi="GTV_Mass_PET", modality="PET")
        i, ri = r(f"{t}/image.nii.gz"), r(D/f"sts_pet/nifti/{c}/PET_image.nii.gz")
        m, rm = a(r(f"{t}/mask.nii.gz")), a(r(D/f"sts_pet/nifti/{c}/PET_mask.nii.gz"))
        print(f"{c}: max|SUV diff| {np.abs(a(i)-a(ri)).max():.2e}, spacing diff {np.abs(np.subtract(i.GetSpacing(), ri.GetSpacing())).max():.1e} mm, origin diff {np.abs(np.subtract(i.GetOrigin(), ri.GetOrigin())).max():.1e} mm, mask voxels {m.sum()} vs {rm.sum()}, Dice {dice(m, rm):.4f}")
M = Path("../shared/data/sts_multimodal")
for c in ("STS_002", "STS_024"):
    for sub, mod in (("CT", "CT"), ("MR_T1", "MR")):
        if not (M / "dicom" / c / sub).is_dir():
            continue
        with tempfile.TemporaryDirectory() as t:
            ingest_case(M/f"dicom/{c}/{sub}/image", next((M/f"dicom/{c}/{sub}/mask").glob("*.dcm")), t, case_id=c, modality=mod)
            i, ri = r(f"{t}/image.nii.gz"), r(M/f"{sub}/{c}/{sub}_image.nii.gz")
            m, rm = a(r(f"{t}/mask.nii.gz")), a(r(M/f"{sub}/{c}/{sub}_mask.nii.gz"))
            print(f"{c} {sub}: max|diff| {np.abs(a(i)-a(ri)).max()}, spacing diff {np.abs(np.subtract(i.GetSpacing(), ri.GetSpacing())).max():.1e} mm, origin diff {np.abs(np.subtract(i.GetOrigin(), ri.GetOrigin())).max():.1e} mm, mask voxels {m.sum()} vs {rm.sum()}, Dice {dice(m, rm):.4f}")
