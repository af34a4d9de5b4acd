"""Cases for the segmenter: volumes read once, intensities normalised, empty masks excluded.

Arrays keep SimpleITK's (z, y, x) order; the network only needs the order to be the same in
training and inference, and :mod:`radiodeep.segment.infer` reads images the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import SimpleITK as sitk

from radiodeep.images import check_same_grid, read_image, read_label_map
from radiodeep.io import sha256_file

log = logging.getLogger(__name__)

# Fixed, data-independent intensity windows (so no statistic leaks across CV folds):
# x -> (clip(x, lo, hi) - shift) * scale. PET: SUV 0..20 -> 0..2; CT: HU; MR: already z-scored.
DEFAULT_INTENSITY = {
    "PET": {"clip": [0.0, 20.0], "shift": 0.0, "scale": 0.1},
    "CT": {"clip": [-1000.0, 1000.0], "shift": 0.0, "scale": 0.001},
    "MR": {"clip": [-5.0, 5.0], "shift": 0.0, "scale": 1.0},
}


def intensity_for(modality: str, override: dict | None = None) -> dict:
    """The intensity normalisation for ``modality``, with ``override``'s keys replacing defaults."""
    spec = dict(DEFAULT_INTENSITY[modality])
    spec.update({k: v for k, v in (override or {}).items() if v is not None})
    return spec


def normalise(array: np.ndarray, intensity: dict) -> np.ndarray:
    """Apply ``intensity`` = {clip: [lo, hi], shift, scale} to an array (float32 result).

    Example:
        >>> normalise(np.array([-1.0, 5.0, 30.0]), {"clip": [0, 20], "shift": 0, "scale": 0.1}).tolist()
        [0.0, 0.5, 2.0]
    """
    lo, hi = intensity["clip"]
    out = (np.clip(array, lo, hi) - intensity["shift"]) * intensity["scale"]
    return out.astype(np.float32)


@dataclass
class Case:
    """One labelled case: normalised image, binary mask, raw image (for baselines), identity."""

    case_id: str
    patient_id: str
    image: np.ndarray
    mask: np.ndarray
    raw: np.ndarray
    spacing: tuple[float, float, float]
    hashes: dict = field(default_factory=dict)
    grid: sitk.Image | None = None  # the image itself: its geometry is the predicted mask's


def load_case(case_id: str, patient_id: str, image_path, mask_path, intensity: dict) -> Case:
    """Read one preprocessed case; the mask must be on the image grid."""
    img = read_image(image_path, case_id)
    msk = read_label_map(mask_path, case_id)
    check_same_grid(img, msk, case_id, mask_path)
    raw = sitk.GetArrayFromImage(img)
    return Case(
        case_id=case_id,
        patient_id=patient_id,
        image=normalise(raw, intensity) if "clip" in intensity else raw,  # a fitted scheme: see on_grid
        mask=(sitk.GetArrayFromImage(msk) > 0).astype(np.uint8),
        raw=raw,
        spacing=tuple(float(s) for s in img.GetSpacing()),
        hashes={"image_sha256": sha256_file(image_path), "mask_sha256": sha256_file(mask_path)},
        grid=img,
    )


def split_usable(cases: list[Case]) -> tuple[list[Case], list[tuple[str, str]]]:
    """Return (cases with a non-empty mask, [(case_id, reason)] for the others), logging each."""
    usable, excluded = [], []
    for case in cases:
        if not case.mask.any():
            reason = "reference mask is empty (no voxel labelled); excluded from training and Dice"
            log.warning("case %s: %s", case.case_id, reason)
            excluded.append((case.case_id, reason))
        else:
            usable.append(case)
    return usable, excluded


def foreground_intensity(cases: list[Case], percentiles=(0.5, 99.5), per_case: int = 10_000, seed: int = 0) -> dict:
    """nnU-Net's CT normalisation fitted on ``cases`` (a CV fold's training cases): clip to the
    percentiles of their ROI voxels (up to ``per_case`` sampled from each), then z-score with the
    clipped voxels' mean and SD, as ``{clip, shift, scale}``."""
    rng = np.random.default_rng(seed)
    samples = []
    for c in cases:
        v = c.raw[c.mask > 0].astype(np.float64)
        samples.append(v if v.size <= per_case else rng.choice(v, per_case, replace=False))
    pooled = np.concatenate(samples)
    lo, hi = (float(x) for x in np.percentile(pooled, list(percentiles)))
    clipped = np.clip(pooled, lo, hi)
    sd = float(clipped.std()) or 1.0
    return {"clip": [lo, hi], "shift": float(clipped.mean()), "scale": 1.0 / sd}


def on_grid(case: Case, spacing, intensity: dict) -> Case:
    """``case`` resampled (image linear, mask nearest neighbour) onto an identity-direction grid at
    ``spacing`` (x, y, z mm) covering its extent, normalised with ``intensity``; a case already on
    such a grid is only re-normalised. The result trains a network; predictions go back to
    ``case.grid`` through :func:`radiodeep.segment.infer.segment_image`."""
    from dataclasses import replace

    from radiodeep.segment.infer import _model_grid

    same = spacing is None or (np.allclose(case.spacing, spacing, rtol=1e-3)
                               and np.allclose(case.grid.GetDirection(), np.eye(3).ravel(), atol=1e-4))
    if same:
        return replace(case, image=normalise(case.raw, intensity))
    ref = _model_grid(case.grid, spacing)
    img = sitk.Resample(case.grid, ref, sitk.Transform(), sitk.sitkLinear, 0.0, sitk.sitkFloat32)
    m = sitk.GetImageFromArray(case.mask)
    m.CopyInformation(case.grid)
    msk = sitk.Resample(m, ref, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    raw = sitk.GetArrayFromImage(img)
    return replace(case, image=normalise(raw, intensity), mask=sitk.GetArrayFromImage(msk), raw=raw,
                   spacing=tuple(float(s) for s in spacing), grid=img)
