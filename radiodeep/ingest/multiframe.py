"""An enhanced multi-frame CT/MR/PET file (or Legacy Converted Enhanced) as one 3D volume, with highdicom.

highdicom's volume API sorts the frames by their PlanePositionSequence along the normal of
their PlaneOrientationSequence and refuses frames that do not form one regular volume (mixed
orientations, uneven spacing, several frames at one position as in multi-echo or 4D files):
geometry is checked per frame. The modality transform (PixelValueTransformation, i.e. rescale
to HU) is applied per frame, as for a classic series; PET goes to SUVbw from the header's
attributes (top level, else the shared functional groups, where Legacy Converted Enhanced files
keep Units, DecayCorrection and the radiopharmaceutical). Slices are ordered as in a classic series (increasing along row x column cosines).

Example:
    >>> image, info = read_multiframe(series, case_id="P1")  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.ingest import pixels
from radiodeep.ingest.series import Series
from radiodeep.ingest.units import to_image


def read_multiframe(series: Series, case_id: str | None = None) -> tuple[sitk.Image, dict]:
    """Read the one multi-frame file of ``series`` as a float32 volume (units as in :func:`read_volume`)."""
    import highdicom as hd

    if len(series.files) != 1:
        raise CaseError(case_id, series.files[0].parent,
                        f"series {series.uid} is split over {len(series.files)} files, of which some are multi-frame; one multi-frame file per series is supported")
    path, header = series.files[0], series.header
    ts = pixels.transfer_syntax(header)
    if ts not in pixels.NATIVE:
        pixels.decoding_plugin(ts, case_id, path)  # a clear error before highdicom's own
    try:
        image = hd.imread(str(path))
        vol = image.get_volume(dtype=np.float64, apply_modality_transform=True, apply_real_world_transform=False)
    except (ValueError, RuntimeError, AttributeError, KeyError) as exc:
        raise CaseError(case_id, path, f"multi-frame frames do not form one regular 3D volume ({exc}); "
                                       "a multi-echo, diffusion or 4D file needs to be split") from exc
    arr = np.asarray(vol.array)  # (slice, row, column)
    affine = np.asarray(vol.affine)
    axes = affine[:3, [2, 1, 0]]  # columns: x = column step, y = row step, z = slice step
    spacing = np.linalg.norm(axes, axis=0)
    direction = axes / spacing
    if np.dot(np.cross(direction[:, 0], direction[:, 1]), direction[:, 2]) < 0:  # slices as a classic series orders them
        origin = affine[:3, 3] + axes[:, 2] * (arr.shape[0] - 1)
        arr, direction[:, 2] = arr[::-1], -direction[:, 2]
    else:
        origin = affine[:3, 3]
    info = {"n_slices": int(arr.shape[0]), "resampled_slices": False, "multiframe": True, "transfer_syntax": pixels.syntax_name(ts)}
    return to_image(arr, series.modality, header, spacing, origin, direction, info, case_id, path)
