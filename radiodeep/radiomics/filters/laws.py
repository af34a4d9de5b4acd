"""IBSI 2 Laws kernels: separable 1D kernels (L5 E5 S5 W5 R5 L3 E3 S3), L2-normalised,
optional rotation invariance (pooling over the right-angle rotations) and texture energy."""

from __future__ import annotations

import re

import numpy as np

from radiodeep.radiomics.filters.boundary import pool, rotated_responses
from radiodeep.radiomics.filters.mean import mean_filter

LAWS_1D = {
    "L5": [1, 4, 6, 4, 1], "E5": [-1, -2, 0, 2, 1], "S5": [-1, 0, 2, 0, -1],
    "W5": [-1, 2, 0, -2, 1], "R5": [1, -4, 6, -4, 1],
    "L3": [1, 2, 1], "E3": [-1, 0, 1], "S3": [-1, 2, -1],
}


def laws_kernels(name: str, normalise: bool = True) -> list[np.ndarray]:
    """1D factors of a Laws kernel named in x, y[, z] order, e.g. ``E5L5S5`` (x: E5, y: L5, z: S5)."""
    parts = re.findall(r"[A-Z]\d", name.upper())
    if "".join(parts) != name.upper() or len(parts) not in (2, 3) or any(p not in LAWS_1D for p in parts):
        raise ValueError(f"unknown Laws kernel {name!r}: give 2 or 3 of {', '.join(LAWS_1D)}, e.g. L5E5E5")
    out = []
    for part in parts:
        k = np.asarray(LAWS_1D[part], dtype=np.float64)
        out.append(k / np.sqrt(np.sum(k * k)) if normalise else k)
    return out


def laws_filter(image: np.ndarray, kernel: str = "L5E5E5", mode: str = "mirror", rotation_invariance: bool = True,
                pooling: str = "max", energy: bool = True, delta: int = 7, normalise: bool = True) -> np.ndarray:
    """Laws response map, optionally pooled over rotations, optionally turned into energy.

    A two-factor kernel filters each axial slice (2D); a three-factor kernel the volume.
    Energy, computed after pooling: the mean of ``|response|`` over a ``2 delta + 1`` window.

    Example:
        >>> img = np.zeros((11, 11, 11)); img[5, 5, 5] = 1
        >>> round(float(laws_filter(img, "L5L5L5", "constant", False, energy=False)[5, 5, 5]), 4)
        0.3688
    """
    factors = laws_kernels(kernel, normalise)
    image = np.asarray(image, dtype=np.float64)
    response = pool(rotated_responses(image, [factors], mode, rotation_invariance), pooling)
    if energy:
        response = mean_filter(np.abs(response), 2 * int(delta) + 1, mode, dims=len(factors))
    return response


def laws_radius(kernel: str = "L5E5E5", energy: bool = True, delta: int = 7, **_) -> float:
    """Voxels beyond which the filter (kernel, then energy window) does not reach."""
    half = max(len(k) for k in laws_kernels(kernel)) // 2
    return half + (int(delta) if energy else 0)
