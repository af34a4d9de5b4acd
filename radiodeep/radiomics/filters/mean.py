"""IBSI 2 mean filter: the average over a cube (3D) or square (2D) of ``support`` voxels a side."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from radiodeep.radiomics.filters.boundary import NDIMAGE_MODES, check_mode, plane_axes


def mean_filter(image: np.ndarray, support: int = 5, mode: str = "mirror", dims: int = 3) -> np.ndarray:
    """Mean of the ``support``-voxel neighbourhood of every voxel.

    Args:
        image: (z, y, x) array.
        support: odd number of voxels along each filtered axis.
        mode: IBSI boundary condition (constant, nearest, periodic, mirror).
        dims: 3, or 2 to filter each axial slice on its own.

    Example:
        >>> float(mean_filter(np.arange(27.0).reshape(3, 3, 3), 3, "nearest")[1, 1, 1])
        13.0
    """
    if int(support) < 1 or int(support) % 2 == 0:
        raise ValueError(f"mean filter support must be an odd number of voxels, not {support!r}")
    size = [int(support) if axis in plane_axes(dims) else 1 for axis in range(3)]
    return ndimage.uniform_filter(np.asarray(image, dtype=np.float64), size, mode=NDIMAGE_MODES[check_mode(mode)])


def mean_radius(support: int = 5, **_) -> float:
    """Voxels beyond which the filter does not reach."""
    return int(support) // 2
