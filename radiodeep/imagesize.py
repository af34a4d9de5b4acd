"""A guard against images whose header claims an absurd size, checked before any voxel is read.

A NIfTI or NRRD header is a few hundred bytes that say how large the volume is; ITK allocates
what they say before it reads (or fails to read) the data. A crafted or damaged 1 kB file that
claims 10^11 voxels would otherwise take the machine's memory down with it, and every other job
on the node. :func:`check_image_size` reads the header only (``ReadImageInformation``) and
refuses such a file with a message naming the case, the file and the claimed size.

Example:
    >>> check_image_size("ct.nii.gz", "case-01")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import SimpleITK as sitk

from radiodeep.errors import CaseError

# 2^31 voxels (a 1290^3 volume; a 512 x 512 x 4000 whole-body CT has 1.05e9): radiodeep's stages
# hold several float copies of an image, so anything larger is not a medical image it can handle.
DEFAULT_MAX_VOXELS = 2**31
MAX_VOXELS_ENV = "RADIODEEP_MAX_VOXELS"


def max_voxels() -> int:
    """The voxel limit: ``$RADIODEEP_MAX_VOXELS`` when set, else :data:`DEFAULT_MAX_VOXELS`."""
    value = os.environ.get(MAX_VOXELS_ENV, "")
    try:
        return int(float(value)) if value else DEFAULT_MAX_VOXELS
    except ValueError as exc:
        raise CaseError(None, None, f"{MAX_VOXELS_ENV}={value!r} is not a number of voxels") from exc


def physical_memory() -> int | None:
    """Bytes of RAM of this machine (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_image_size(path: str | Path, case_id: str | None = None) -> None:
    """Raise CaseError when the header of the image file ``path`` claims more voxels than
    :func:`max_voxels` or a pixel buffer larger than this machine's memory. A header ITK cannot
    read is left for the reader to report; folders (DICOM series) are not checked here."""
    if Path(path).is_dir():
        return
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        return
    size = reader.GetSize()
    check_claimed_size(size, reader.GetNumberOfComponents() * _component_bytes(reader.GetPixelID()), path, case_id)


def check_claimed_size(size, voxel_bytes: int, path: str | Path, case_id: str | None = None) -> None:
    """Raise CaseError when a header's ``size`` (voxels per axis) at ``voxel_bytes`` per voxel
    exceeds :func:`max_voxels` or this machine's memory."""
    voxels = math.prod(size)
    nbytes = voxels * voxel_bytes
    memory, limit = physical_memory(), max_voxels()
    if voxels > limit or (memory is not None and nbytes > memory):
        claimed = " x ".join(str(s) for s in size)
        raise CaseError(case_id, path, f"the header claims {claimed} = {voxels:.3g} voxels ({nbytes / 2**30:.3g} GiB), "
                                       f"above the limit of {limit:.3g} voxels or this machine's memory; the file is "
                                       f"damaged or not a medical image (raise {MAX_VOXELS_ENV} if it is real)")


def _component_bytes(pixel_id: int) -> int:
    """Bytes per component of a SimpleITK pixel type (8 when unknown: errs on the safe side)."""
    sizes = {sitk.sitkUInt8: 1, sitk.sitkInt8: 1, sitk.sitkUInt16: 2, sitk.sitkInt16: 2, sitk.sitkUInt32: 4,
             sitk.sitkInt32: 4, sitk.sitkFloat32: 4, sitk.sitkUInt64: 8, sitk.sitkInt64: 8, sitk.sitkFloat64: 8}
    vector = {sitk.sitkVectorUInt8: 1, sitk.sitkVectorInt8: 1, sitk.sitkVectorUInt16: 2, sitk.sitkVectorInt16: 2,
              sitk.sitkVectorFloat32: 4, sitk.sitkVectorFloat64: 8}
    return sizes.get(pixel_id, vector.get(pixel_id, 8))
