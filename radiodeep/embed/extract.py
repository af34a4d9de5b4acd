"""Batched embedding of a cohort: crop every case, run the backbone, pool each level.

Deterministic on CPU: seeds and torch's deterministic mode come from
:func:`radiodeep.seeds.seed_everything`, the thread count is fixed, and cases are batched in
the order given, so two runs of the same config give bitwise-identical vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiodeep.embed.backbones import Backbone
from radiodeep.embed.crop import crop_roi
from radiodeep.errors import CaseError, NoRoi
from radiodeep.images import read_image, read_label_map
from radiodeep.io import write_json

log = logging.getLogger(__name__)

POOLINGS = ("masked", "global")


@dataclass(frozen=True)
class CaseInput:
    """One case to embed: id, image and mask paths (mask on the image's grid)."""

    case_id: str
    image: str | Path
    mask: str | Path


def pool(feature_map, roi, how: str = "masked"):
    """Average a feature map (N, C, z, y, x) over space -> (N, C).

    ``masked``: weighted by the ROI fraction ``roi`` (N, 1, Z, Y, X) area-downsampled to the
    map's grid; a sample whose ROI vanishes at that level falls back to the global mean.
    """
    import torch.nn.functional as F

    if how not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, not {how!r}")
    mean = feature_map.mean(dim=(2, 3, 4))
    if how == "global":
        return mean
    w = F.adaptive_avg_pool3d(roi, feature_map.shape[2:])
    total = w.sum(dim=(2, 3, 4))
    weighted = (feature_map * w).sum(dim=(2, 3, 4)) / total.clamp_min(1e-12)
    return weighted.where(total > 0, mean)


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise CaseError(None, None, f"embed.device is {device!r} but torch sees no CUDA device")
    return device


def embed_arrays(backbone: Backbone, images: np.ndarray, rois: np.ndarray, pooling: str = "masked",
                 batch_size: int = 8, device: str = "cpu") -> dict[str, np.ndarray]:
    """Embed crops (N, z, y, x) with their ROI fractions; return {level: (N, C) float32}."""
    import torch

    backbone.network.to(device).eval()
    out: dict[str, list] = {lv: [] for lv in backbone.levels}
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(images[start:start + batch_size, None])).to(device)
            r = torch.from_numpy(np.ascontiguousarray(rois[start:start + batch_size, None])).to(device)
            for level, fmap in backbone.features(x).items():
                out[level].append(pool(fmap.float(), r, pooling).cpu().numpy())
    return {lv: np.concatenate(v).astype(np.float32) for lv, v in out.items()}


def column_names(backbone: Backbone, widths: dict[str, int]) -> list[str]:
    """``deep-<backbone>_<level>_f0000`` for every channel of every level, shallow to deep."""
    return [f"deep-{backbone.name}_{lv}_f{c:04d}" for lv in backbone.levels for c in range(widths[lv])]


def embed_cases(
    cases: Sequence[CaseInput],
    backbone: Backbone,
    *,
    pooling: str = "masked",
    centre: str = "com",
    batch_size: int = 8,
    device: str = "cpu",
    on_error: str = "fail",
) -> list[dict]:
    """Embed every case; return one record per case (``status`` ok or skipped, ``features``).

    A case that cannot be cropped raises :class:`CaseError` (``on_error='fail'``) or is
    recorded as skipped with its reason; other cases are unaffected.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
    device = resolve_device(device)
    records, crops, rois, ok = [], [], [], []
    for case in cases:
        rec = {"case_id": case.case_id, "source": "deep", **provenance(backbone, pooling, centre)}
        try:
            image = read_image(case.image, case.case_id)
            mask = read_label_map(case.mask, case.case_id)
            img, roi = crop_roi(image, mask, size_mm=backbone.crop_mm, spacing=backbone.spacing,
                                intensity=backbone.intensity, centre=centre, case_id=case.case_id,
                                mask_path=str(case.mask))
        except NoRoi as exc:
            log.warning("excluded: %s", exc)
            rec.update({"status": "excluded", "reason": str(exc), "features": {}})
        except CaseError as exc:
            if on_error != "skip":
                raise
            log.warning("skipping %s", exc)
            rec.update({"status": "skipped", "reason": str(exc), "features": {}})
        else:
            crops.append(img)
            rois.append(roi)
            ok.append(len(records))
            rec["crop_shape"] = list(img.shape)
        records.append(rec)
    if ok:
        vectors = embed_arrays(backbone, np.stack(crops), np.stack(rois), pooling, batch_size, device)
        names = column_names(backbone, {lv: v.shape[1] for lv, v in vectors.items()})
        matrix = np.concatenate([vectors[lv] for lv in backbone.levels], axis=1)
        for row, idx in zip(matrix, ok, strict=True):
            if not np.all(np.isfinite(row)):
                raise CaseError(records[idx]["case_id"], None, "embedding has NaN/inf values (check the intensity window)")
            records[idx].update({"status": "ok", "features": dict(zip(names, row.tolist(), strict=True))})
    log.info("embedded %d of %d cases with %s (%s pooling) on %s", len(ok), len(cases), backbone.name, pooling, device)
    return records


def provenance(backbone: Backbone, pooling: str, centre: str) -> dict:
    """What produced a vector: backbone, levels, pooling, crop, weights hash."""
    return {
        "backbone": backbone.name, "levels": list(backbone.levels), "pooling": pooling, "centre": centre,
        "crop_mm": backbone.crop_mm, "spacing": backbone.spacing, "intensity": backbone.intensity,
        "weights_sha256": backbone.weights_sha256, "network": backbone.info,
    }


def write_records(records: Sequence[dict], outputs: Sequence[str | Path]) -> None:
    """Write each case's record to the output whose file name is ``<case_id>.json``."""
    by_case = {rec["case_id"]: rec for rec in records}
    for out in outputs:
        write_json(by_case[Path(out).name.removesuffix(".json")], out)
