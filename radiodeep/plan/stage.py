"""The plan stage: fingerprint the ingested cohort, plan every setting the user left ``auto``,
write ``results/plan.json``; later stages read their planned values from it (:func:`planned`)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from radiodeep.io import read_json, write_json
from radiodeep.plan import rules
from radiodeep.plan.fingerprint import case_fingerprint, load_fingerprint

log = logging.getLogger(__name__)
AUTO = "auto"
BACKBONE_CROP_MM = {"unet-encoder": 128.0, "resnet": 128.0, "random": 128.0}
FMCIB_CROP_MM = 50.0


def _entry(value, source: str, reason: str) -> dict:
    return {"value": value, "source": source, "reason": reason}


def _summary(fps: list[dict]) -> dict:
    sp = np.array([f["spacing"] for f in fps], float)
    med = np.median(sp, axis=0)
    out = {"n_cases": len(fps), "spacing_median": np.round(med, 4).tolist(), "spacing_min": np.round(sp.min(0), 4).tolist(),
           "spacing_max": np.round(sp.max(0), 4).tolist(), "anisotropy": round(float(med.max() / med.min()), 3),
           "size_median": np.median(np.array([f["size"] for f in fps]), axis=0).tolist()}
    roi = [f for f in fps if f.get("roi_voxels")]
    out["n_with_roi"] = len(roi)
    if roi:
        vox = np.array([f["roi_voxels"] for f in roi])
        ext = np.array([f["roi_extent_mm"] for f in roi], float)
        vol = np.array([f["roi_volume_mm3"] for f in roi]) / 1000
        out.update({"roi_voxels": {"min": int(vox.min()), "median": float(np.median(vox)), "max": int(vox.max())},
                    "roi_volume_ml": {"min": round(float(vol.min()), 3), "median": round(float(np.median(vol)), 3), "max": round(float(vol.max()), 3)},
                    "roi_extent_mm": {"min": np.round(ext.min(0), 2).tolist(), "median": np.round(np.median(ext, 0), 2).tolist(),
                                      "max": np.round(ext.max(0), 2).tolist()},
                    "intensity": rules.intensity_stats(fps)})
    return out


def _segment_intensity(modality: str, summary: dict) -> tuple[dict, str]:
    """CT: nnU-Net's scheme (clip to the foreground's 0.5/99.5 percentiles, z-score with its mean
    and SD), fitted on each CV fold's training cases (the values here are the whole cohort's, for
    information); PET: SUV 0..20 x 0.1; MR: the preprocess z-score clipped to +-5."""
    from radiodeep.segment.data import DEFAULT_INTENSITY

    if modality == "CT":
        return {"scheme": "foreground", "percentiles": [0.5, 99.5]}, (
            "CT foreground scheme (nnU-Net), fitted on each fold's training cases; cohort values "
            f"{ {k: v for k, v in summary.get('intensity', {}).items() if k.startswith('foreground')} }")
    return dict(DEFAULT_INTENSITY[modality]), f"{modality}: fixed window of its absolute or per-volume scale"


def make_plan(fps: list[dict], config: dict, preset_bin_width: float | None, bin_width_set: bool) -> dict:
    """The plan for a fingerprinted cohort; ``config`` is the validated study config (``auto``
    marks a value to plan). Values the user set are recorded as ``set`` and kept."""
    modality = config["modality"]
    pre, seg, emb = config["preprocess"], config["segment"], config.get("embed", {})
    summary = _summary(fps)
    settings = {}
    grid, why = rules.plan_spacing(fps)
    if pre["spacing"] == AUTO:
        settings["preprocess.spacing"] = _entry(grid, "planned", why)
    else:
        settings["preprocess.spacing"] = _entry(pre["spacing"], "set", f"set by the user (the plan would be {grid}: {why})")
    used_grid = settings["preprocess.spacing"]["value"] or summary["spacing_median"]
    seg_sp, why = rules.plan_segmentation_spacing(fps, used_grid)
    settings["segment.spacing"] = (_entry(seg_sp, "planned", why) if seg.get("spacing", AUTO) == AUTO
                                   else _entry(seg["spacing"], "set", "set by the user"))
    patch, strides, why = rules.plan_patch(fps, settings["segment.spacing"]["value"])
    settings["segment.patch_size"] = (_entry(patch, "planned", why + " (z, y, x)") if seg["patch_size"] == AUTO
                                      else _entry(seg["patch_size"], "set", "set by the user"))
    if seg["architecture"] == AUTO:
        if seg["patch_size"] != AUTO:
            strides = rules.poolings(seg["patch_size"], np.array(settings["segment.spacing"]["value"])[::-1])
        settings["segment.architecture"] = _entry(rules.architecture(strides), "planned",
                                                  f"{len(strides) + 1} levels: strides {strides} keep every feature map >= {rules.MIN_FEATURE_MAP}")
    else:
        settings["segment.architecture"] = _entry(seg["architecture"], "set", "set by the user")
    intensity, why = _segment_intensity(modality, summary)
    settings["segment.intensity"] = (_entry(intensity, "planned", why) if seg.get("intensity") in (None, AUTO)
                                     else _entry(seg["intensity"], "set", "set by the user"))
    width, stats, why = rules.plan_bin_width(fps, preset_bin_width)
    summary["intensity"] = {**summary.get("intensity", {}), **stats}
    settings["radiomics.binWidth"] = (_entry(preset_bin_width, "set", "set in radiomics.settings or the user's preset file")
                                      if bin_width_set else _entry(width, "planned", why))
    backbone = FMCIB_CROP_MM if emb.get("preset") == "fmcib" else BACKBONE_CROP_MM.get(emb.get("backbone", "unet-encoder"), 128.0)
    crop, why = rules.plan_embed_crop(fps, backbone)
    settings["embed.crop_mm"] = (_entry(crop, "planned", why) if emb.get("crop_mm") in (None, AUTO)
                                 else _entry(emb["crop_mm"], "set", "set by the user"))
    small = rules.small_rois(fps, used_grid)
    for s in small:
        log.warning("case %s: its ROI keeps %.1f voxels (%.2f along its thinnest axis) on the grid %s: texture features "
                    "may be undefined; it is listed in plan.json", s["case_id"], s["voxels"], s["min_extent_voxels"], used_grid)
    return {"modality": modality, "fingerprint": summary, "settings": settings, "small_rois": small,
            "rules": "README.md#cohort-plan"}


def plan_cohort(cases: list[dict], config: dict, out_json: str | Path, preset_bin_width: float | None = None,
                bin_width_set: bool = False, model_folds: tuple | None = None) -> dict:
    """Fingerprint ``cases`` (dicts with case_id, image, mask: the ingest stage's outputs; mask
    None or empty when the case has none; optional ``fingerprint``: the ingest batch's saved
    fingerprint, read instead of the images where it suffices) and write the plan to
    ``out_json``; ``model_folds`` is the (value, source, reason) of the outer folds, planned
    from the manifest at parse time."""
    fps = []
    modality, seed = config["modality"], config.get("seed", 0)
    for i, c in enumerate(cases):
        mask = c.get("mask") or None
        reference = config["preprocess"]["mr_reference"]
        saved = Path(c.get("fingerprint") or "")
        fp = load_fingerprint(saved, c["case_id"], modality, bool(mask), seed + i, reference) if saved.is_file() else None
        fps.append(fp if fp is not None else case_fingerprint(c["case_id"], c["image"], mask, modality, reference,
                                                              seed=seed + i))
    plan = make_plan(fps, config, preset_bin_width, bin_width_set)
    if model_folds is not None:  # planned from the manifest while the workflow parses (radiodeep.manifest.planned_folds)
        plan["settings"]["model.folds"] = _entry(*model_folds)
    write_json(plan, out_json)
    for key, entry in plan["settings"].items():
        log.info("plan %s = %s (%s: %s)", key, entry["value"], entry["source"], entry["reason"])
    return plan


def planned(plan: dict | str | Path, key: str):
    """The value of ``key`` (e.g. ``preprocess.spacing``) in a plan or a plan.json path."""
    if not isinstance(plan, dict):
        plan = read_json(plan)
    return plan["settings"][key]["value"]
