"""IBSI 2 Simoncelli non-separable wavelet: an isotropic band-pass in the Fourier domain,
``cos(pi/2 log2(2 |w| / w_max))`` for ``w_max / 4 <= |w| <= w_max``, ``w_max = 2^(1 - level)``
(frequencies normalised to [-1, 1] per axis)."""

from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from radiodeep.radiomics.filters.boundary import PAD_MODES, check_mode, plane_axes


def simoncelli_response(shape, level: int = 1) -> np.ndarray:
    """The filter on the FFT grid of ``shape`` (centred frequencies, then ``ifftshift``)."""
    coords = []
    for n in shape:
        centre = (n - 1) / 2.0
        coords.append((np.arange(n) - centre) / centre)
    grids = np.meshgrid(*coords, indexing="ij", sparse=True)
    distance = np.sqrt(sum(g * g for g in grids))
    top = 2.0 ** (1 - int(level))
    band = (distance >= top / 4) & (distance <= top)
    out = np.zeros(distance.shape)
    out[band] = np.cos(np.pi / 2 * np.log2(2 * distance[band] / top))
    return sfft.ifftshift(out)


def simoncelli_filter(image: np.ndarray, level: int = 1, mode: str = "periodic", dims: int = 3) -> np.ndarray:
    """Simoncelli band at ``level``. The FFT is periodic; other boundary conditions pad the image by
    half its size per axis first.

    Example:
        >>> round(float(simoncelli_filter(np.ones((8, 8, 8)), 1).max()), 6)
        0.0
    """
    if int(level) < 1:
        raise ValueError(f"Simoncelli level must be 1 or more, not {level!r}")
    axes = plane_axes(dims)
    image = np.asarray(image, dtype=np.float64)
    pad = [(0, 0)] * 3
    if check_mode(mode) != "periodic":
        pad = [(n // 2, n // 2) if a in axes else (0, 0) for a, n in enumerate(image.shape)]
        image = np.pad(image, pad, mode=PAD_MODES[mode])
    kernel = simoncelli_response([image.shape[a] for a in axes], level)
    spectrum = sfft.fftn(image.astype(np.float32), axes=axes, workers=-1)  # single precision: ample for IBSI
    shape = [image.shape[a] if a in axes else 1 for a in range(3)]
    out = sfft.ifftn(spectrum * kernel.reshape(shape).astype(np.float32), axes=axes, workers=-1).real.astype(np.float64)
    return out[tuple(slice(p[0], p[0] + n - sum(p)) for p, n in zip(pad, image.shape, strict=True))]
