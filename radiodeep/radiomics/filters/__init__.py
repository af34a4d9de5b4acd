"""IBSI 2 convolutional filters as plain functions on (z, y, x) arrays, and the ``ibsi_filters``
entries of a preset that name them.

One family per module: :mod:`.mean`, :mod:`.log` (Laplacian of Gaussian), :mod:`.laws`,
:mod:`.gabor`, :mod:`.wavelets` (separable, undecimated), :mod:`.simoncelli`; boundary
conditions and rotations in :mod:`.boundary`. A preset entry is a dict, e.g.::

    ibsi_filters:
      - {filter: laws, kernel: L5E5E5, energy: true, delta: 7, rotation_invariance: true}
      - {filter: log, sigma: 1.5, truncate: 4, dims: 3, mode: mirror}

:func:`apply_filter` runs one entry, :func:`filter_name` gives its image-type name (the first
part of pyradiomics' three-part feature names, e.g. ``ibsi-laws-L5E5E5-energy7-invariant``).
"""

from __future__ import annotations

import numpy as np

from radiodeep.radiomics.filters.boundary import check_mode
from radiodeep.radiomics.filters.gabor import gabor_filter, gabor_radius
from radiodeep.radiomics.filters.laws import laws_filter, laws_kernels, laws_radius
from radiodeep.radiomics.filters.log import log_filter, log_radius
from radiodeep.radiomics.filters.mean import mean_filter, mean_radius
from radiodeep.radiomics.filters.simoncelli import simoncelli_filter
from radiodeep.radiomics.filters.wavelets import wavelet_filter, wavelet_radius

#: each filter's parameters and defaults (IBSI 2 phase 2 values), ``mode`` and ``dims`` for all
PARAMETERS = {
    "mean": {"support": 5},
    "log": {"sigma": 1.5, "truncate": 4.0},
    "laws": {"kernel": "L5E5E5", "rotation_invariance": True, "pooling": "max", "energy": True, "delta": 7},
    "gabor": {"sigma": 5.0, "lambda": 2.0, "gamma": 1.5, "theta": 0.0, "theta_step": 22.5,
              "response": "modulus", "pooling": "mean", "truncate": 4.0},
    "wavelet": {"wavelet": "db3", "subband": "LLH", "level": 1, "rotation_invariance": True, "pooling": "mean"},
    "simoncelli": {"level": 1, "mode": "periodic"},  # the consensus maps and values: on the image's own FFT grid
}
COMMON = {"mode": "mirror", "dims": 3}
# Gabor in 3D: the orientation sweep runs in the three orthogonal planes; one orientation (no
# sweep) is the axial plane only, as the IBSI 2 consensus maps have it

__all__ = ["PARAMETERS", "apply_filter", "filter_name", "filter_radius", "filter_settings", "gabor_filter",
           "laws_filter", "log_filter", "mean_filter", "simoncelli_filter", "wavelet_filter"]


def filter_settings(entry: dict) -> dict:
    """An ``ibsi_filters`` entry with its defaults filled in; a ValueError for an unknown filter
    or parameter (naming the known ones)."""
    entry = dict(entry)
    kind = entry.pop("filter", None)
    if kind not in PARAMETERS:
        raise ValueError(f"ibsi_filters entry {entry!r}: 'filter' must be one of {', '.join(PARAMETERS)}, not {kind!r}")
    known = {**COMMON, **PARAMETERS[kind]}
    unknown = set(entry) - set(known)
    if unknown:
        raise ValueError(f"ibsi_filters {kind}: unknown parameter(s) {sorted(unknown)}; known: {sorted(known)}")
    out = {"filter": kind, **known, **entry}
    check_mode(out["mode"])
    if out.get("pooling", "max") not in ("max", "min", "mean"):
        raise ValueError(f"ibsi_filters {kind}: pooling must be max, min or mean, not {out['pooling']!r}")
    if kind == "laws":
        out["dims"] = len(laws_kernels(out["kernel"]))
    elif kind == "wavelet":
        if len(out["subband"]) not in (2, 3) or set(out["subband"].upper()) - {"L", "H"}:
            raise ValueError(f"ibsi_filters wavelet: sub-band must be 2 or 3 letters of L and H (e.g. LLH), not {out['subband']!r}")
        out["dims"] = len(out["subband"])
    if out["dims"] not in (2, 3):
        raise ValueError(f"ibsi_filters {kind}: dims must be 2 (per axial slice) or 3, not {out['dims']!r}")
    return out


def apply_filter(image: np.ndarray, spacing, entry: dict, region: tuple[slice, ...] | None = None) -> np.ndarray:
    """The response map of one ``ibsi_filters`` entry on a (z, y, x) array with (z, y, x) spacing (mm).

    ``region``: the voxels wanted, if not all; the Gabor filter then computes only those (the
    others are 0), the other filters ignore it."""
    s = filter_settings(entry)
    kind, mode, dims = s["filter"], s["mode"], s["dims"]
    if kind == "mean":
        return mean_filter(image, s["support"], mode, dims)
    if kind == "log":
        return log_filter(image, spacing, s["sigma"], s["truncate"], mode, dims)
    if kind == "laws":
        return laws_filter(image, s["kernel"], mode, s["rotation_invariance"], s["pooling"], s["energy"], s["delta"])
    if kind == "gabor":
        return gabor_filter(image, spacing, s["sigma"], s["lambda"], s["gamma"], s["theta"], s["theta_step"],
                            s["response"], s["pooling"], 3 if dims == 3 and s["theta_step"] else 1, mode, s["truncate"],
                            region)
    if kind == "wavelet":
        return wavelet_filter(image, s["wavelet"], s["subband"], s["level"], mode, s["rotation_invariance"], s["pooling"])
    return simoncelli_filter(image, s["level"], mode, dims)


def filter_radius(spacing, entry: dict) -> int | None:
    """Voxels (along any axis) beyond which the filter does not reach; None for Simoncelli (global)."""
    s = filter_settings(entry)
    kind = s["filter"]
    if kind == "simoncelli":
        return None
    params = {k: v for k, v in s.items() if k != "filter"}
    fn = {"mean": mean_radius, "log": log_radius, "laws": laws_radius, "gabor": gabor_radius, "wavelet": wavelet_radius}[kind]
    return int(np.ceil(fn(spacing=spacing, **params) if kind in ("log", "gabor") else fn(**params)))


def _num(v) -> str:
    return f"{float(v):g}"


def filter_name(entry: dict) -> str:
    """Image-type name of an entry, without underscores (pyradiomics' names split on them).

    Example:
        >>> filter_name({"filter": "laws", "kernel": "L5E5E5", "delta": 7})
        'ibsi-laws-L5E5E5-energy7-invariant'
    """
    s = filter_settings(entry)
    kind, dims = s["filter"], f"{s['dims']}d"
    if kind == "mean":
        parts = [str(s["support"]), dims]
    elif kind == "log":
        parts = [f"sigma{_num(s['sigma'])}mm", f"trunc{_num(s['truncate'])}", dims]
    elif kind == "laws":
        parts = [s["kernel"].upper()] + ([f"energy{s['delta']}"] if s["energy"] else [])
        parts += [s["pooling"] + "invariant" if s["pooling"] != "max" else "invariant"] if s["rotation_invariance"] else []
    elif kind == "gabor":
        parts = [f"sigma{_num(s['sigma'])}mm", f"lambda{_num(s['lambda'])}mm", f"gamma{_num(s['gamma'])}",
                 f"theta{_num(s['theta'])}" + (f"step{_num(s['theta_step'])}" if s["theta_step"] else ""),
                 s["response"], s["pooling"], dims]
    elif kind == "wavelet":
        parts = [s["wavelet"], s["subband"].upper(), f"level{s['level']}"] + (["invariant"] if s["rotation_invariance"] else [])
    else:
        parts = [f"level{s['level']}", dims]
    return "-".join(["ibsi", kind, *parts])
