"""Modality-aware intensity handling.

CT keeps Hounsfield units and PET keeps SUV (radiomic features are defined on those scales);
MR has no absolute scale and is z-scored inside the body or the ROI.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError

MODALITIES = ("CT", "MR", "PET")


def body_mask(image: sitk.Image) -> sitk.Image:
    """Foreground by Otsu thresholding, largest connected component, holes filled."""
    fg = sitk.OtsuThreshold(image, 0, 1)
    cc = sitk.RelabelComponent(sitk.ConnectedComponent(fg), sortByObjectSize=True)
    largest = sitk.Cast(cc == 1, sitk.sitkUInt8)
    return sitk.BinaryFillhole(largest)


def normalise_intensity(
    image: sitk.Image,
    modality: str,
    mask: sitk.Image | None = None,
    mr_reference: str = "body",
    case_id: str | None = None,
) -> sitk.Image:
    """Return the image on the scale its modality's features are defined on.

    Args:
        image: float image.
        modality: CT, MR or PET.
        mask: ROI label map on the same grid (used for ``mr_reference='roi'``).
        mr_reference: ``body`` or ``roi``: where MR mean and SD are measured.
    """
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}, not {modality!r}")
    if modality in ("CT", "PET"):
        return image
    if mr_reference == "roi":
        if mask is None:
            raise CaseError(case_id, None, "MR z-score inside the ROI needs a mask")
        region = sitk.GetArrayViewFromImage(mask) > 0
    elif mr_reference == "body":
        region = sitk.GetArrayFromImage(body_mask(image)) > 0  # a view of a temporary would dangle
    else:
        raise ValueError(f"mr_reference must be 'body' or 'roi', not {mr_reference!r}")
    arr = sitk.GetArrayFromImage(image)
    values = arr[region]
    if values.size < 2 or float(values.std()) == 0.0:
        raise CaseError(case_id, None, f"MR z-score: the {mr_reference} region is empty or constant")
    out = sitk.GetImageFromArray(((arr - values.mean()) / values.std()).astype(np.float32))
    out.CopyInformation(image)
    return out
