"""Batched embedding of a cohort: crop every case, run the backbone, pool each level.

Deterministic on CPU: seeds and torch's deterministic mode come from
:func:`radiodeep.seeds.seed_everything`, the thread count is fixed, and cases are batched in
the order given, so two runs of the same config give bitwise-identical vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiodeep.embed.backbones import Backbone
from radiodeep.embed.crop import crop_roi
from radiodeep.errors import CaseError, NoRoi
from radiodeep.images import read_image, read_label_map

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
    cases: Iterable[CaseInput],
    backbone: Backbone,
    *,
    pooling: str = "masked",
    centre: str = "com",
    batch_size: int = 8,
    device: str = "cpu",
    on_error: str = "fail",
) -> Iterator[dict]:
    """Embed every case, streaming: yield one record per case (``status`` ok or skipped,
    ``features``), in the order given, as soon as its batch has gone through the network.

    At most ``batch_size`` crops are held at once (each case's full image only while it is
    cropped), so memory does not grow with the cohort. Batches are formed from the cases that
    crop, in order, as before, so the vectors do not depend on how the records are consumed.
    A case that cannot be cropped raises :class:`CaseError` (``on_error='fail'``) or is
    recorded as skipped with its reason; other cases are unaffected.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
    if batch_size < 1:
        raise ValueError(f"embed.batch_size must be at least 1, not {batch_size}")
    device = resolve_device(device)
    pending: list[tuple[dict, np.ndarray | None, np.ndarray | None]] = []  # records waiting for their batch
    n_ok = n_cases = n_pending = 0
    for case in cases:
        n_cases += 1
        rec = {"case_id": case.case_id, "source": "deep", **provenance(backbone, pooling, centre)}
        try:
            img, roi = _crop_case(case, backbone, centre)
        except NoRoi as exc:
            log.warning("excluded: %s", exc)
            rec.update({"status": "excluded", "reason": str(exc), "features": {}})
            pending.append((rec, None, None))
        except CaseError as exc:
            if on_error != "skip":
                raise
            log.warning("skipping %s", exc)
            rec.update({"status": "skipped", "reason": str(exc), "features": {}})
            pending.append((rec, None, None))
        else:
            rec["crop_shape"] = list(img.shape)
            pending.append((rec, img, roi))
            n_ok += 1
            n_pending += 1
            if n_pending == batch_size:
                yield from _embed_pending(backbone, pending, pooling, batch_size, device)
                pending, n_pending = [], 0
    yield from _embed_pending(backbone, pending, pooling, batch_size, device)
    log.info("embedded %d of %d cases with %s (%s pooling) on %s", n_ok, n_cases, backbone.name, pooling, device)


def _crop_case(case: CaseInput, backbone: Backbone, centre: str) -> tuple[np.ndarray, np.ndarray]:
    image = read_image(case.image, case.case_id)
    mask = read_label_map(case.mask, case.case_id)
    return crop_roi(image, mask, size_mm=backbone.crop_mm, spacing=backbone.spacing, intensity=backbone.intensity,
                    centre=centre, case_id=case.case_id, mask_path=str(case.mask))


def _embed_pending(backbone: Backbone, pending: list, pooling: str, batch_size: int, device: str) -> Iterator[dict]:
    """Run the crops of ``pending`` (one batch at most) through the network; yield every record in order."""
    crops = [(rec, img, roi) for rec, img, roi in pending if img is not None]
    if crops:
        vectors = embed_arrays(backbone, np.stack([c[1] for c in crops]), np.stack([c[2] for c in crops]),
                               pooling, batch_size, device)
        names = column_names(backbone, {lv: v.shape[1] for lv, v in vectors.items()})
        matrix = np.concatenate([vectors[lv] for lv in backbone.levels], axis=1)
        for row, (rec, _, _) in zip(matrix, crops, strict=True):
            if not np.all(np.isfinite(row)):
                raise CaseError(rec["case_id"], None, "embedding has NaN/inf values (check the intensity window)")
            rec.update({"status": "ok", "features": dict(zip(names, row.tolist(), strict=True))})
    for rec, _, _ in pending:
        yield rec


def provenance(backbone: Backbone, pooling: str, centre: str) -> dict:
    """What produced a vector: backbone, levels, pooling, crop, weights hash."""
    return {
        "backbone": backbone.name, "levels": list(backbone.levels), "pooling": pooling, "centre": centre,
        "crop_mm": backbone.crop_mm, "spacing": backbone.spacing, "intensity": backbone.intensity,
        "weights_sha256": backbone.weights_sha256, "network": backbone.info,
    }


def output_paths(outputs: Sequence[str | Path]) -> dict[str, Path]:
    """Case id -> output file, for outputs named ``<case_id>.json``."""
    return {Path(out).name.removesuffix(".json"): Path(out) for out in outputs}
