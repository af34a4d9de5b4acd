"""Planning rules: settings derived from a cohort's fingerprint (see README "Cohort plan").

Each function takes fingerprints (:func:`radiodeep.plan.fingerprint.case_fingerprint`) and
returns a value and the reason for it. The rules follow nnU-Net's dataset-fingerprint planning
where it applies (median spacing, the anisotropy threshold of 3, the 10th percentile of the
coarse axis, patch size from the median image shape within a compute budget, poolings that keep
the bottleneck from vanishing, CT foreground percentiles), with a CPU budget in place of GPU memory.
"""

from __future__ import annotations

import math

import numpy as np

# Isotropic grids are chosen from these values (mm): the largest not coarser than the data.
LADDER = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
ANISOTROPY = 3.0          # nnU-Net: above this ratio of coarsest to finest spacing, keep the grid anisotropic
MIN_ROI_VOXELS = 64       # every ROI keeps at least this many voxels on the planned grid ...
MIN_ROI_EXTENT = 2        # ... and spans at least this many voxels along every axis
PATCH_VOXELS = 48 ** 3    # U-Net patch: the PET demo's per-step compute on 2 CPU cores
SEG_IMAGE_VOXELS = 2 * PATCH_VOXELS  # a median image above this is segmented on a coarser grid
MIN_FEATURE_MAP = 3       # a pooling may not take an axis of the feature map below this
MAX_POOLINGS = 4          # 5 levels, the demo's depth (better than 4 levels on PET)
BASE_CHANNELS = (16, 32, 64, 128, 256)
BINS = (16, 128)          # a grey-level count in this range is sensible (pyradiomics' docs: 30-130)
TARGET_BINS = 32
EMBED_CROP_QUANTILE = 0.9


def _with_roi(fps: list[dict]) -> list[dict]:
    return [f for f in fps if f.get("roi_voxels")]


def median_spacing(fps: list[dict]) -> np.ndarray:
    return np.median(np.array([f["spacing"] for f in fps], float), axis=0)


def _ladder_at_most(value: float) -> float:
    below = [v for v in LADDER if v <= value + 1e-9]
    return below[-1] if below else LADDER[0]


def small_rois(fps: list[dict], spacing) -> list[dict]:
    """Cases whose ROI would keep fewer than MIN_ROI_VOXELS voxels or MIN_ROI_EXTENT along an axis."""
    voxel = float(np.prod(spacing))
    out = []
    for f in _with_roi(fps):
        voxels = f["roi_volume_mm3"] / voxel
        extent = min(e / s for e, s in zip(f["roi_extent_mm"], spacing, strict=True))
        if voxels < MIN_ROI_VOXELS or extent < MIN_ROI_EXTENT:
            out.append({"case_id": f["case_id"], "voxels": round(voxels, 1), "min_extent_voxels": round(extent, 2)})
    return out


def plan_spacing(fps: list[dict]) -> tuple[list[float], str]:
    """The resampling grid (x, y, z mm) for radiomics and the U-Net.

    Median spacing per axis; if the coarsest median axis is more than ``ANISOTROPY`` times the
    finest, the grid stays anisotropic (fine axes at their median, coarse axes at their 10th
    percentile, as nnU-Net); otherwise isotropic at the largest ladder value not above the median
    spacings' geometric mean. The grid is then refined (never below the finest native spacing per
    axis) until no ROI keeps fewer than ``MIN_ROI_VOXELS`` voxels or ``MIN_ROI_EXTENT`` along an axis.
    """
    med = median_spacing(fps)
    finest = np.min(np.array([f["spacing"] for f in fps], float), axis=0)
    if med.max() / med.min() > ANISOTROPY:
        coarse = med > ANISOTROPY * med.min()
        p10 = np.percentile(np.array([f["spacing"] for f in fps], float), 10, axis=0)
        grid = np.where(coarse, p10, med)
        why = f"anisotropic (median spacing {np.round(med, 3).tolist()}, ratio {med.max() / med.min():.2f} > {ANISOTROPY}): kept, coarse axis at its 10th percentile"
    else:
        grid = np.full(3, _ladder_at_most(float(np.exp(np.mean(np.log(med))))))
        why = f"isotropic: largest of {list(LADDER)} mm not above the geometric mean of the median spacing {np.round(med, 3).tolist()}"
    refined = 0
    while small_rois(fps, grid) and np.any(grid > finest + 1e-9):
        grid = np.maximum(grid / 1.25, finest)
        refined += 1
    grid = [round(float(g), 4) for g in grid]
    if refined:
        why += f"; refined {refined} times (/1.25) so that every ROI keeps >= {MIN_ROI_VOXELS} voxels"
    return grid, why


def median_shape(fps: list[dict], spacing) -> np.ndarray:
    """Median image shape (z, y, x) in voxels on ``spacing`` (x, y, z)."""
    extent = np.median(np.array([np.array(f["size"]) * np.array(f["spacing"]) for f in fps], float), axis=0)
    return np.maximum(np.round(extent / np.array(spacing, float)), 1)[::-1]


def plan_segmentation_spacing(fps: list[dict], grid) -> tuple[list[float], str]:
    """The U-Net's grid: the resampling grid, coarsened (finest axes first, 5% a step, as nnU-Net's
    low-resolution configuration) while the median image exceeds ``SEG_IMAGE_VOXELS`` voxels."""
    s = np.array(grid, float)
    steps = 0
    while np.prod(median_shape(fps, s)) > SEG_IMAGE_VOXELS:
        fine = s < s.max() * 0.999
        s = np.where(fine, np.minimum(s * 1.05, s.max()), s) if fine.any() else s * 1.05
        steps += 1
    spacing = [round(float(v), 4) for v in s]
    shape = median_shape(fps, s).astype(int).tolist()
    if steps:
        return spacing, f"coarsened from {list(grid)} so that the median image ({shape} voxels z,y,x) is <= {SEG_IMAGE_VOXELS}"
    return spacing, f"the resampling grid (median image {shape} voxels z,y,x <= {SEG_IMAGE_VOXELS})"


def poolings(shape, spacing_zyx) -> list[list[int]]:
    """Per-level strides (z, y, x): an axis is pooled while its feature map stays >= MIN_FEATURE_MAP
    and its spacing is within twice the finest (so anisotropic axes wait), at most MAX_POOLINGS."""
    size = np.array(shape, float)
    sp = np.array(spacing_zyx, float)
    strides = []
    for _ in range(MAX_POOLINGS):
        pool = (size / 2 >= MIN_FEATURE_MAP) & (sp <= 2 * sp.min() + 1e-9)
        if not pool.any():
            break
        strides.append([2 if p else 1 for p in pool])
        size = np.where(pool, size / 2, size)
        sp = np.where(pool, sp * 2, sp)
    return strides


def plan_patch(fps: list[dict], seg_spacing) -> tuple[list[int], list[list[int]], str]:
    """Patch (z, y, x) and strides: the median image shape, its physically largest axis cut until
    the patch holds at most ``PATCH_VOXELS`` voxels, each axis a multiple of its total stride."""
    sp_zyx = np.array(seg_spacing, float)[::-1]
    patch = median_shape(fps, seg_spacing).astype(int)
    while np.prod(patch) > PATCH_VOXELS:
        patch[int(np.argmax(patch * sp_zyx))] -= 1
    for _ in range(3):  # strides of the rounded patch; a second pass settles a changed pooling
        strides = poolings(patch, sp_zyx)
        total = np.prod(np.array(strides, int), axis=0) if strides else np.ones(3, int)
        patch = np.maximum(np.round(patch / total), 1).astype(int) * total
        while np.prod(patch) > PATCH_VOXELS:
            i = int(np.argmax(patch * sp_zyx))
            patch[i] = max(total[i], patch[i] - total[i])
    strides = poolings(patch, sp_zyx)
    rounded = patch
    why = f"median image shape {median_shape(fps, seg_spacing).astype(int).tolist()} (z,y,x) within {PATCH_VOXELS} voxels; {len(strides)} poolings"
    return [int(v) for v in rounded], strides, why


def architecture(strides: list[list[int]], base: dict | None = None) -> dict:
    """MONAI UNet arguments: one channel step per pooling (16 .. 256)."""
    arch = {"name": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 2, "num_res_units": 1, "norm": "INSTANCE"}
    arch.update({k: v for k, v in (base or {}).items() if k not in ("channels", "strides")})
    arch["channels"] = list(BASE_CHANNELS[: len(strides) + 1])
    uniform = all(len(set(s)) == 1 for s in strides)
    arch["strides"] = [s[0] for s in strides] if uniform else strides
    return arch


def _nice(value: float) -> float:
    """The 1/2/2.5/5 x 10^k number nearest to ``value`` in log scale."""
    k = math.floor(math.log10(value))
    candidates = [m * 10.0 ** e for e in (k - 1, k, k + 1) for m in (1, 2, 2.5, 5)]
    return float(min(candidates, key=lambda c: abs(math.log(c / value))))


def plan_bin_width(fps: list[dict], preset_width: float | None) -> tuple[float | None, dict, str]:
    """Bin width for the ROI's grey levels: the preset's if the median ROI gets a grey-level count in
    ``BINS``, else the nice number giving about ``TARGET_BINS`` bins on the median ROI range."""
    ranges = [f["roi_max"] - f["roi_min"] for f in _with_roi(fps) if "roi_max" in f]
    if not ranges:
        return preset_width, {}, "no ROI intensities: the preset's bin width"
    rng = float(np.median(ranges))
    stats = {"roi_range_median": round(rng, 4)}
    if preset_width and BINS[0] <= rng / preset_width <= BINS[1]:
        stats["bins_median"] = round(rng / preset_width, 1)
        return preset_width, stats, f"the preset's (median ROI range {rng:.4g} -> {rng / preset_width:.0f} bins, within {list(BINS)})"
    if rng <= 0:
        return preset_width, stats, "constant ROI intensities: the preset's bin width"
    width = _nice(rng / TARGET_BINS)
    stats["bins_median"] = round(rng / width, 1)
    before = f"{rng / preset_width:.0f} bins with the preset's {preset_width}" if preset_width else "no preset width"
    return width, stats, f"median ROI range {rng:.4g}: {before}, outside {list(BINS)}; {width} gives {rng / width:.0f}"


def plan_embed_crop(fps: list[dict], backbone_crop: float) -> tuple[float, str]:
    """Crop edge (mm): the backbone's if it holds the 90th percentile of the ROIs' largest extent
    with a 10% margin, else that extent + 20%, rounded up to 16 mm."""
    extents = [max(f["roi_extent_mm"]) for f in _with_roi(fps)]
    if not extents:
        return backbone_crop, "no ROI: the backbone's crop"
    q = float(np.quantile(extents, EMBED_CROP_QUANTILE))
    if q * 1.1 <= backbone_crop:
        return backbone_crop, f"the backbone's ({backbone_crop} mm holds the 90th percentile ROI extent {q:.0f} mm)"
    crop = float(16 * math.ceil(1.2 * q / 16))
    return crop, f"90th percentile ROI extent {q:.0f} mm does not fit the backbone's {backbone_crop} mm: {crop} mm"


def intensity_stats(fps: list[dict]) -> dict:
    """Cohort intensity summary inside the ROIs (the pooled sample's percentiles, mean, SD) and the
    per-volume range; the outcome is never used."""
    with_values = [f for f in _with_roi(fps) if "sample" in f]
    if not with_values:
        return {}
    pooled = np.concatenate([f["sample"] for f in with_values]).astype(np.float64)
    p = np.percentile(pooled, [0.5, 99.5])
    return {"foreground_p00_5": round(float(p[0]), 4), "foreground_p99_5": round(float(p[1]), 4),
            "foreground_mean": round(float(pooled.mean()), 4), "foreground_sd": round(float(pooled.std()), 4),
            "roi_min_range": [round(min(f["roi_min"] for f in with_values), 4), round(max(f["roi_min"] for f in with_values), 4)],
            "roi_max_range": [round(min(f["roi_max"] for f in with_values), 4), round(max(f["roi_max"] for f in with_values), 4)]}
