"""IBSI 2 separable wavelets, undecimated (a trous): PyWavelets' decomposition filter banks,
any sub-band (``LHL``: low-pass along x, high-pass along y, low-pass along z) and level, with
rotation invariance by mean pooling over the right-angle rotations of the whole cascade."""

from __future__ import annotations

import numpy as np

from radiodeep.radiomics.filters.boundary import dilate, odd_length, pool, rotated_responses


def _bank(wavelet: str) -> tuple[np.ndarray, np.ndarray]:
    import pywt

    try:
        w = pywt.Wavelet(wavelet)
    except ValueError as exc:
        raise ValueError(f"unknown wavelet {wavelet!r}; PyWavelets names such as haar, db3, coif1") from exc
    return odd_length(w.dec_lo), odd_length(w.dec_hi)


def wavelet_filter(image: np.ndarray, wavelet: str = "db3", subband: str = "LLH", level: int = 1,
                   mode: str = "mirror", rotation_invariance: bool = True, pooling: str = "mean") -> np.ndarray:
    """Sub-band ``subband`` at decomposition ``level`` of the stationary wavelet transform.

    Level ``j`` applies the low-pass filter on every axis ``j - 1`` times (dilated by 2 at each
    level), then the sub-band's filters dilated ``2^(j-1)`` times. Two letters filter each slice.

    Example:
        >>> img = np.zeros((8, 8, 8)); img[4, 4, 4] = 1
        >>> round(float(wavelet_filter(img, "haar", "LLL", 1, "constant", False).sum()), 4)
        2.8284
    """
    letters = subband.upper()
    if len(letters) not in (2, 3) or set(letters) - {"L", "H"}:
        raise ValueError(f"wavelet sub-band must be 2 or 3 letters of L and H (e.g. LLH), not {subband!r}")
    if int(level) < 1:
        raise ValueError(f"wavelet level must be 1 or more, not {level!r}")
    lo, hi = _bank(wavelet)
    stages = [[lo] * len(letters) for _ in range(int(level) - 1)] + [[lo if c == "L" else hi for c in letters]]
    # a trous: stage d's filters dilated d times (dilation commutes with the rotations' reversals)
    for depth in range(1, len(stages)):
        for _ in range(depth):
            stages[depth] = [dilate(k) for k in stages[depth]]
    responses = rotated_responses(np.asarray(image, dtype=np.float64), stages, mode, rotation_invariance)
    return pool(responses, pooling)


def wavelet_radius(wavelet: str = "db3", level: int = 1, **_) -> float:
    """Voxels beyond which the cascade does not reach."""
    half = _bank(wavelet)[0].size // 2
    return sum(half * 2**j for j in range(int(level)))
