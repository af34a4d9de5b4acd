"""IBSI 2 boundary conditions, separable convolution and right-angle kernel rotations.

Arrays are indexed (z, y, x), as SimpleITK's ``GetArrayFromImage`` gives them. IBSI names the
boundary conditions constant (zero padding), nearest (edge value), periodic (wrap) and mirror
(symmetric, the edge voxel repeated); scipy.ndimage and numpy spell them differently.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import ndimage

#: IBSI boundary condition -> scipy.ndimage mode
NDIMAGE_MODES = {"constant": "constant", "nearest": "nearest", "periodic": "wrap", "mirror": "reflect"}
#: IBSI boundary condition -> numpy.pad mode
PAD_MODES = {"constant": "constant", "nearest": "edge", "periodic": "wrap", "mirror": "symmetric"}


def check_mode(mode: str) -> str:
    """``mode`` if it is an IBSI boundary condition, else a ValueError naming the choices."""
    if mode not in NDIMAGE_MODES:
        raise ValueError(f"unknown boundary condition {mode!r}; IBSI's are {', '.join(NDIMAGE_MODES)}")
    return mode


def plane_axes(dims: int) -> tuple[int, ...]:
    """The axes a filter acts on: 3D all three, 2D the two in-plane axes (y, x) of each slice."""
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 (per axial slice) or 3, not {dims!r}")
    return (1, 2) if dims == 2 else (0, 1, 2)


def odd_length(kernel) -> np.ndarray:
    """A 1D kernel of odd length: an even one gets a trailing 0, so its centre is element ``n // 2``."""
    kernel = np.asarray(kernel, dtype=np.float64)
    return np.append(kernel, 0.0) if kernel.size % 2 == 0 else kernel


def dilate(kernel: np.ndarray) -> np.ndarray:
    """A trous dilation: a zero between each pair of taps (the next decomposition level)."""
    out = np.zeros(2 * kernel.size - 1)
    out[::2] = kernel
    return out


def rotations(ndim: int) -> list[np.ndarray]:
    """The right-angle rotations of ``ndim``-space: signed permutation matrices of determinant 1
    (4 in 2D, 24 in 3D), identity first."""
    found = []
    for perm in itertools.permutations(range(ndim)):
        for signs in itertools.product((1, -1), repeat=ndim):
            matrix = np.zeros((ndim, ndim), dtype=int)
            matrix[np.arange(ndim), perm] = signs
            if round(np.linalg.det(matrix)) == 1:
                found.append(matrix)
    return found


def rotate_kernels(kernels: list[np.ndarray], matrix: np.ndarray) -> list[np.ndarray]:
    """1D factors of the separable kernel ``K(R^T p)``: factor j moves to the axis i where
    ``R[i, j] != 0``, reversed where that entry is -1."""
    out: list[np.ndarray] = [kernels[0]] * len(kernels)
    for i, row in enumerate(matrix):
        j = int(np.flatnonzero(row)[0])
        out[i] = kernels[j][::-1] if row[j] < 0 else kernels[j]
    return out


def rotated_sets(kernel_sets: list[list[np.ndarray]], invariant: bool) -> list[list[list[np.ndarray]]]:
    """Every distinct right-angle rotation of a cascade of separable kernels (each a list of 1D
    factors in x, y[, z] order), the same rotation applied to every stage. Duplicates are dropped:
    each distinct kernel occurs equally often among the rotations, so pooling is unchanged."""
    if not invariant:
        return [kernel_sets]
    seen, out = set(), []
    for matrix in rotations(len(kernel_sets[0])):
        rotated = [rotate_kernels(stage, matrix) for stage in kernel_sets]
        key = tuple(k.tobytes() for stage in rotated for k in stage)
        if key not in seen:
            seen.add(key)
            out.append(rotated)
    return out


def rotated_responses(image: np.ndarray, stages: list[list[np.ndarray]], mode: str, invariant: bool):
    """Yield the response of each distinct rotation of a cascade of separable kernels (stages of
    1D factors in x, y[, z] order, applied in turn), computed with as few 1D convolutions as the
    kernels allow: a factor that is minus another (a reversed antisymmetric kernel) reuses its
    result with the sign changed, and rotations sharing their first convolutions share them
    (rotations visited in sorted order, one partial result kept per depth)."""
    nd_mode = NDIMAGE_MODES[check_mode(mode)]
    plans = []
    for rotated in rotated_sets(stages, invariant):
        ops, sign = [], 1
        for stage in rotated:
            for i, kernel in enumerate(stage):
                nonzero = np.flatnonzero(kernel)
                if nonzero.size and kernel[nonzero[0]] < 0:
                    kernel, sign = -kernel, -sign
                ops.append((2 - i, kernel))
        plans.append((tuple((axis, k.tobytes()) for axis, k in ops), ops, sign))
    plans.sort(key=lambda plan: plan[0])
    keys: list = []
    partial = [image]
    for plan_keys, ops, sign in plans:
        common = 0
        while common < len(keys) and plan_keys[common] == keys[common]:
            common += 1
        del keys[common:], partial[common + 1:]
        for axis, kernel in ops[common:]:
            partial.append(ndimage.convolve1d(partial[-1], kernel, axis=axis, mode=nd_mode))
            keys.append((axis, kernel.tobytes()))
        yield partial[-1] if sign > 0 else -partial[-1]


def pool(responses, method: str) -> np.ndarray:
    """Pool response maps voxel by voxel (``max``, ``min`` or ``mean``), one map at a time."""
    if method not in ("max", "min", "mean"):
        raise ValueError(f"unknown pooling {method!r}; choose max, min or mean")
    total, count = None, 0
    for response in responses:
        count += 1
        if total is None:
            total = np.array(response, dtype=np.float64)
        elif method == "max":
            np.maximum(total, response, out=total)
        elif method == "min":
            np.minimum(total, response, out=total)
        else:
            total += response
    return total / count if method == "mean" else total
