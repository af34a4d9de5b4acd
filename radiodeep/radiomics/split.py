"""Cutting one case's pyradiomics extraction into groups of about equal cost.

The pieces of a case are the shape class and every image pyradiomics derives: the original,
each LoG sigma, each wavelet sub-band, each other filter. :func:`plan` packs them (and, when
the parent crops, the two halves of pyradiomics' diagnostics of the full image) into exactly
``workers`` groups, longest processing time first; each group becomes one pyradiomics
``execute`` call, so its per-call preamble and the wavelet transform are paid once per group,
and the groups' features together are the whole case's.

Costs are rough seconds on one core (measured on the IBSI CT phantom and the pyradiomics lung
cases): filtered images scale with the ROI's bounding box, the diagnostics with the full image.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_SHAPE = ("shape", "shape2D")
# seconds per voxel of the ROI's bounding box for one derived image with every texture class
_IMAGE_S_PER_VOXEL = 0.45e-6
_WEIGHTS = {"shape": 2.0, "Original": 0.8, "wavelet_approximation": 1.5}
# pyradiomics' GeneralInfo of the full image: SHA-1 of the image (its bytes) and of the UInt32
# mask, intensity range, mask statistics and connected components
_DIAG_IMAGE_S = (7e-9, 2e-9)  # per image byte, per voxel
_DIAG_MASK_S = 32e-9  # per voxel


@dataclass(frozen=True)
class Piece:
    """One share of a case's work: ``shape``, one image (``image_type`` with a LoG ``sigma``
    or a wavelet sub-band index ``band``), or half of the diagnostics (``diag_image``, ``diag_mask``)."""

    kind: str
    image_type: str | None = None
    sigma: float | None = None
    band: int | None = None
    weight: float = 1.0


@dataclass
class Group:
    """Pieces run together: at most one pyradiomics call (``params``; ``bands``: the wavelet
    sub-bands it keeps, ``None`` for all) and the diagnostics halves it computes."""

    pieces: list[Piece] = field(default_factory=list)
    cost: float = 0.0
    params: dict | None = None
    bands: tuple[int, ...] | None = None
    diagnostics: tuple[str, ...] = ()


def _classes(params: dict) -> dict:
    classes = params.get("featureClass")
    if classes:
        return dict(classes)
    from radiomics import (
        getFeatureClasses,  # an empty section means every class (pyradiomics' rule)
    )

    return {name: [] for name in getFeatureClasses()}


def wavelet_bands(args: dict, force2d: bool) -> int:
    """Sub-bands pyradiomics' wavelet filter yields: 2^axes − 1 details per level, then the approximation."""
    axes = 2 if force2d else 3
    return (2**axes - 1) * int(args.get("level", 1)) + 1


def pieces(params: dict) -> list[Piece]:
    """The case's pieces in pyradiomics' order: shape first, then each image type's images."""
    classes = _classes(params)
    out = [Piece("shape", weight=_WEIGHTS["shape"])] if any(c in classes for c in _SHAPE) else []
    if not any(c not in _SHAPE for c in classes):
        return out
    force2d = bool((params.get("setting") or {}).get("force2D", False))
    for name, args in (params.get("imageType") or {"Original": {}}).items():
        args = args or {}
        if name == "LoG":
            out += [Piece("image", name, sigma=s) for s in args.get("sigma") or []]
        elif name == "Wavelet":
            n = wavelet_bands(args, force2d)
            out += [Piece("image", name, band=b, weight=_WEIGHTS["wavelet_approximation"] if b == n - 1 else 1.0)
                    for b in range(n)]
        else:
            out.append(Piece("image", name, weight=_WEIGHTS.get(name, 1.0)))
    return out


def group_params(params: dict, group: list[Piece]) -> tuple[dict, tuple[int, ...] | None] | None:
    """pyradiomics parameters computing exactly ``group``'s features (``None`` if it has none),
    and the wavelet sub-bands to keep (``None``: all of them)."""
    classes = _classes(params)
    images = [p for p in group if p.kind == "image"]
    has_shape = any(p.kind == "shape" for p in group)
    if not images and not has_shape:
        return None
    image_types = {}
    for name, args in (params.get("imageType") or {"Original": {}}).items():
        mine = [p for p in images if p.image_type == name]
        if not mine:
            continue
        args = dict(args or {})
        if name == "LoG":
            args["sigma"] = [s for s in args.get("sigma") or [] if any(p.sigma == s for p in mine)]
        image_types[name] = args
    bands = None
    wavelet = [p.band for p in images if p.image_type == "Wavelet"]
    if wavelet and len(wavelet) < wavelet_bands(params["imageType"]["Wavelet"] or {}, bool((params.get("setting") or {}).get("force2D"))):
        bands = tuple(sorted(wavelet))
    if not images:  # shape only: pyradiomics falls back to the original image, with no texture class
        image_types = {"Original": {}}
        classes = {k: v for k, v in classes.items() if k in _SHAPE}
    elif not has_shape:
        classes = {k: v for k, v in classes.items() if k not in _SHAPE}
    return {**params, "imageType": image_types, "featureClass": classes}, bands


def balance(costs: list[float], bins: int) -> list[list[int]]:
    """Longest processing time first: each item, largest first, goes to the least loaded bin.

    Example:
        >>> balance([3, 3, 2, 2, 2], 2)
        [[0, 2, 4], [1, 3]]
    """
    loads = [0.0] * bins
    out: list[list[int]] = [[] for _ in range(bins)]
    for i in sorted(range(len(costs)), key=lambda i: (-costs[i], i)):
        b = min(range(bins), key=lambda k: (loads[k], k))
        out[b].append(i)
        loads[b] += costs[i]
    return out


def plan(params: dict, workers: int, box_voxels: int, image_voxels: int = 0, image_bytes: int = 0,
         diagnostics: bool = False) -> list[Group]:
    """Pack the case's pieces (and, with ``diagnostics``, the two diagnostics halves of a full
    image of ``image_voxels`` voxels and ``image_bytes`` bytes) into ``min(workers, pieces)``
    groups of about equal estimated cost. ``box_voxels``: voxels the filters run on."""
    items = pieces(params)
    if diagnostics:
        items += [Piece("diag_image"), Piece("diag_mask")]

    def cost(p: Piece) -> float:
        if p.kind == "diag_image":
            return _DIAG_IMAGE_S[0] * image_bytes + _DIAG_IMAGE_S[1] * image_voxels
        if p.kind == "diag_mask":
            return _DIAG_MASK_S * image_voxels
        return p.weight * _IMAGE_S_PER_VOXEL * box_voxels

    costs = [cost(p) for p in items]
    groups = []
    for members in balance(costs, max(1, min(workers, len(items)))):
        members.sort()  # pyradiomics' order within a group
        group = Group([items[i] for i in members], sum(costs[i] for i in members))
        spec = group_params(params, [p for p in group.pieces if not p.kind.startswith("diag")])
        if spec is not None:
            group.params, group.bands = spec
        group.diagnostics = tuple(p.kind for p in group.pieces if p.kind.startswith("diag"))
        groups.append(group)
    return groups
