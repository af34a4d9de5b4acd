"""IBSI 2 Laplacian of Gaussian: sigma in mm, the Gaussian truncated at ``truncate`` sigma."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from radiodeep.radiomics.filters.boundary import NDIMAGE_MODES, check_mode, plane_axes


def log_filter(image: np.ndarray, spacing, sigma: float = 1.5, truncate: float = 4.0,
               mode: str = "mirror", dims: int = 3) -> np.ndarray:
    """Laplacian of Gaussian, ``sum_i d2/dx_i2 (G_sigma * image)`` over the filtered axes.

    Args:
        spacing: voxel spacing in (z, y, x) order, mm.
        sigma: Gaussian width in mm (converted to voxels per axis).
        truncate: kernel half-width in sigmas (IBSI: 4).
        dims: 3, or 2 for the two in-plane axes of each slice only (not a sigma of 0 across slices).

    Example:
        >>> img = np.zeros((9, 9, 9)); img[4, 4, 4] = 1
        >>> bool(log_filter(img, (1, 1, 1), 1.0)[4, 4, 4] < 0)
        True
    """
    axes = plane_axes(dims)
    image = np.asarray(image, dtype=np.float64)
    sigmas = [float(sigma) / float(spacing[a]) if a in axes else 0.0 for a in range(3)]  # 0: axis left alone
    nd_mode = NDIMAGE_MODES[check_mode(mode)]
    return sum(ndimage.gaussian_filter(image, sigmas, order=[2 if a == b else 0 for b in range(3)], mode=nd_mode,
                                       truncate=float(truncate)) for a in axes)


def log_radius(spacing, sigma: float = 1.5, truncate: float = 4.0, **_) -> float:
    """Voxels beyond which the kernel is zero (scipy's ``int(truncate * sigma + 0.5)``)."""
    return max(int(truncate * float(sigma) / float(s) + 0.5) for s in spacing)
