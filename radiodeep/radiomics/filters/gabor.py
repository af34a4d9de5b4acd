"""IBSI 2 Gabor filter: a 2D complex kernel ``exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2) + 2 pi i x' / lambda)``
with ``x' = x cos(theta) + y sin(theta)``, ``y' = x sin(theta) - y cos(theta)`` (y along rows),
applied in the axial plane (2D) or in the three orthogonal planes (3D), over an orientation sweep
pooled voxel by voxel. Convolution by FFT, the image's spectrum computed once per plane."""

from __future__ import annotations

import math

import numpy as np
import scipy.fft as sfft

from radiodeep.radiomics.filters.boundary import PAD_MODES, check_mode, pool

_RESPONSES = {"modulus": np.abs, "real": np.real, "imaginary": np.imag, "angle": np.angle}


def gabor_kernel(sigma: float, lambda_: float, gamma: float, theta_deg: float, radius: int) -> np.ndarray:
    """The complex kernel on a ``(2 radius + 1)^2`` grid (rows y, columns x); sigma, lambda in voxels."""
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1].astype(np.float64)
    theta = math.radians(theta_deg)
    xr = x * math.cos(theta) + y * math.sin(theta)
    yr = x * math.sin(theta) - y * math.cos(theta)
    return np.exp(-(xr**2 + gamma**2 * yr**2) / (2.0 * sigma**2) + 1j * 2.0 * math.pi * xr / lambda_)


def orientations(theta: float = 0.0, step: float | None = None) -> list[float]:
    """``theta`` alone, or ``theta, theta + step, ...`` over 360 degrees."""
    if not step:
        return [float(theta)]
    n = int(round(360.0 / float(step)))
    return [float(theta) + i * float(step) for i in range(n)]


def _radius(sigma_vox: float, gamma: float, truncate: float) -> int:
    return int(math.ceil(truncate * sigma_vox * max(1.0, 1.0 / gamma)))


def _plane_responses(image, spacing, stack, sigma, lambda_, gamma, thetas, truncate, mode, response, region):
    """Response maps over ``region``, one per orientation, of the plane orthogonal to axis ``stack``.

    Only the region's slices along ``stack`` are filtered; in-plane, the image is padded (with the
    boundary condition) only where the region comes within the kernel's reach of the array's edge.
    """
    axes = tuple(a for a in range(3) if a != stack)
    step = max(float(spacing[a]) for a in axes)
    sigma_v, lambda_v = sigma / step, lambda_ / step
    r = _radius(sigma_v, gamma, truncate)
    pad, shape = [(0, 0)] * 3, []
    for a in axes:
        n = image.shape[a]
        low, high = max(0, r - region[a].start), max(0, r - (n - region[a].stop))
        shape.append(sfft.next_fast_len(n + low + high))
        pad[a] = (low, shape[-1] - n - low)
    plane = image[tuple(region[a] if a == stack else slice(None) for a in range(3))]
    # single precision: half the time of double, and 1e-6 relative is far inside IBSI's tolerances
    spectrum = sfft.fft2(np.pad(plane, pad, mode=PAD_MODES[mode]).astype(np.float32), axes=axes, workers=-1)
    crop = tuple(slice(region[a].start + pad[a][0], region[a].stop + pad[a][0]) if a in axes else slice(None)
                 for a in range(3))
    kshape = [shape[axes.index(a)] if a in axes else 1 for a in range(3)]
    # a real image: theta + 180 gives the complex conjugate response, so the same modulus
    done = {}
    for theta in thetas:
        key = round(theta % 180.0, 9) if response == "modulus" else theta
        if key not in done:
            kernel = np.zeros(shape, dtype=np.complex64)
            k = gabor_kernel(sigma_v, lambda_v, gamma, theta, r)
            kernel[: 2 * r + 1, : 2 * r + 1] = k
            kernel = np.roll(kernel, (-r, -r), axis=(0, 1))
            kf = sfft.fft2(kernel, workers=-1).reshape(kshape)
            done[key] = _RESPONSES[response](sfft.ifft2(spectrum * kf, axes=axes, workers=-1)[crop])
        yield done[key]


def gabor_filter(image: np.ndarray, spacing, sigma: float = 5.0, lambda_: float = 2.0, gamma: float = 1.5,
                 theta: float = 0.0, theta_step: float | None = 22.5, response: str = "modulus",
                 pooling: str = "mean", planes: int = 1, mode: str = "mirror", truncate: float = 4.0,
                 region: tuple[slice, ...] | None = None) -> np.ndarray:
    """Gabor response map, pooled over the orientation sweep (and the planes).

    Args:
        spacing: (z, y, x) mm; sigma and lambda are in mm, converted with the in-plane spacing.
        gamma: spatial aspect ratio; theta, theta_step: degrees (no step: the single orientation).
        planes: 1 (axial slices, IBSI 2D) or 3 (axial, coronal, sagittal; IBSI 3D).
        truncate: kernel half-width in units of the envelope's wider sigma (``sigma / min(gamma, 1)``).
        region: (z, y, x) slices of the voxels wanted (default: all); outside it the map is 0. The
            array must then reach the kernel's half-width beyond the region, or be the whole image.

    Example:
        >>> img = np.zeros((1, 33, 33)); img[0, 16, 16] = 1
        >>> round(float(gabor_filter(img, (1, 1, 1), 2, 4, 1, 0, None)[0, 16, 16]), 4)
        1.0
    """
    if planes not in (1, 3):
        raise ValueError(f"Gabor planes must be 1 (axial) or 3 (orthogonal planes), not {planes!r}")
    if response not in _RESPONSES:
        raise ValueError(f"Gabor response must be one of {', '.join(_RESPONSES)}, not {response!r}")
    check_mode(mode)
    image = np.asarray(image, dtype=np.float64)
    thetas = orientations(theta, theta_step)
    stacks = (0,) if planes == 1 else (0, 1, 2)
    region = tuple(slice(*s.indices(n)[:2]) for s, n in zip(region or (slice(None),) * 3, image.shape, strict=True))
    maps = (m for s in stacks for m in _plane_responses(image, spacing, s, float(sigma), float(lambda_), float(gamma),
                                                           thetas, float(truncate), mode, response, region))
    pooled = pool(maps, pooling)
    if pooled.shape == image.shape:
        return pooled
    out = np.zeros(image.shape)
    out[region] = pooled
    return out


def gabor_radius(spacing, sigma: float = 5.0, gamma: float = 1.5, truncate: float = 4.0, **_) -> float:
    """Voxels beyond which the truncated kernel does not reach."""
    return _radius(float(sigma) / min(float(s) for s in spacing), float(gamma), float(truncate))
