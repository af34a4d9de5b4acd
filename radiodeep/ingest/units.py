"""A stacked DICOM pixel array to a SimpleITK image: units (HU for CT, SUVbw for PET) and geometry.

Shared by the single-frame stacking (:mod:`radiodeep.ingest.volume`) and enhanced multi-frame
files (:mod:`radiodeep.ingest.multiframe`).
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.ingest.suv import suv_factor


def to_image(arr, modality, first, spacing, origin, direction, info, case_id, path) -> tuple[sitk.Image, dict]:
    """Units (SUVbw for PET) and geometry of a (slice, row, column) array of rescaled values.

    ``spacing`` is (x, y, z) in mm, ``direction`` the 3x3 matrix whose columns are the x, y, z axes.
    """
    if modality == "PT":
        factor, info["units"] = suv_factor(first, case_id, path)
        arr = arr * factor
        info["suv_factor"] = factor
    elif modality == "CT":
        info["units"] = "HU"
    else:
        info["units"] = str(first.get("Units", "")) or "stored values (rescaled)"
    image = sitk.GetImageFromArray(arr.astype(np.float32))
    image.SetSpacing(tuple(float(v) for v in spacing))
    image.SetOrigin(tuple(float(v) for v in origin))
    image.SetDirection(tuple(np.asarray(direction, float).flatten()))
    if not np.all(np.isfinite(arr)):
        raise CaseError(case_id, path, "image holds NaN/inf voxels")
    return image, info
