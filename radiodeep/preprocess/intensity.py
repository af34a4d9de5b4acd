"""Modality-aware intensity handling.

CT keeps Hounsfield units and PET keeps SUV (radiomic features are defined on those scales);
MR has no absolute scale and is z-scored inside the body or the ROI.
"""

from __future__ import annotations

import logging

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError

log = logging.getLogger(__name__)
MODALITIES = ("CT", "MR", "PET")


def body_mask(image: sitk.Image) -> sitk.Image:
    """Foreground by Otsu thresholding, largest connected component, holes filled."""
    fg = sitk.OtsuThreshold(image, 0, 1)
    cc = sitk.RelabelComponent(sitk.ConnectedComponent(fg), sortByObjectSize=True)
    largest = sitk.Cast(cc == 1, sitk.sitkUInt8)
    return sitk.BinaryFillhole(largest)


MR_REFERENCES = ("body", "roi")  # preprocess.mr_reference: where an MR image's mean and SD are measured
MIN_ROI_IN_BODY = 0.5  # the Otsu body must hold at least this share of the ROI to be the MR reference


def mr_reference_region(image: sitk.Image, mask: sitk.Image | None, mr_reference: str = "body",
                        case_id: str | None = None) -> tuple[np.ndarray, str]:
    """The voxels MR is z-scored over, and which region that is.

    ``body`` is the Otsu foreground; on tight crops Otsu can separate fat from the rest and leave
    the ROI outside (0-0.4% of an STS tumour inside it, ROI mean z of -3.5 to -4.1): when it holds
    less than ``MIN_ROI_IN_BODY`` of the ROI, the whole image is the reference, with a warning, and
    the region is reported as ``image`` (the preprocess QC records it).
    """
    if mr_reference == "roi":
        if mask is None:
            raise CaseError(case_id, None, "MR z-score inside the ROI needs a mask")
        return sitk.GetArrayViewFromImage(mask) > 0, "roi"
    if mr_reference not in MR_REFERENCES:
        raise ValueError(f"mr_reference must be one of {MR_REFERENCES}, not {mr_reference!r}")
    region = sitk.GetArrayFromImage(body_mask(image)) > 0  # a view of a temporary would dangle
    if mask is not None:
        roi = sitk.GetArrayViewFromImage(mask) > 0
        n_roi = int(np.count_nonzero(roi))
        inside = float(np.count_nonzero(region & roi)) / n_roi if n_roi else 1.0
        if inside < MIN_ROI_IN_BODY:
            log.warning("case %s: the Otsu body holds %.1f%% of the ROI; MR is z-scored over the whole image instead",
                        case_id, 100 * inside)
            return np.ones(region.shape, bool), f"image (body held {100 * inside:.1f}% of the ROI)"
    return region, "body"


def normalise_intensity(
    image: sitk.Image,
    modality: str,
    mask: sitk.Image | None = None,
    mr_reference: str = "body",
    case_id: str | None = None,
) -> sitk.Image:
    """:func:`normalised_with_reference` without the reference's name."""
    return normalised_with_reference(image, modality, mask, mr_reference, case_id)[0]


def normalised_with_reference(
    image: sitk.Image,
    modality: str,
    mask: sitk.Image | None = None,
    mr_reference: str = "body",
    case_id: str | None = None,
) -> tuple[sitk.Image, str]:
    """The image on the scale its modality's features are defined on, and what that scale's
    reference is (CT: ``HU``; PET: ``SUV``; MR: the z-score's region, e.g. ``body``, ``roi`` or
    ``image (body held 0.4% of the ROI)``: the preprocess QC table's ``intensity_reference``).

    Args:
        image: float image.
        modality: CT, MR or PET.
        mask: ROI label map on the same grid (used for ``mr_reference='roi'``).
        mr_reference: ``body`` or ``roi``: where MR mean and SD are measured.
    """
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}, not {modality!r}")
    if modality in ("CT", "PET"):
        return image, {"CT": "HU", "PET": "SUV"}[modality]
    region, used = mr_reference_region(image, mask, mr_reference, case_id)
    arr = sitk.GetArrayFromImage(image)
    values = arr[region]
    if values.size < 2 or float(values.std()) == 0.0:
        raise CaseError(case_id, None, f"MR z-score: the {mr_reference} region is empty or constant")
    out = sitk.GetImageFromArray(((arr - values.mean()) / values.std()).astype(np.float32))
    out.CopyInformation(image)
    return out, used
