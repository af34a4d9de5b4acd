"""The segmentation stage: patient-grouped CV (out-of-fold masks, dice.csv), a final model on all
labelled cases (model.pt + model.json), and inference for the cases without reference masks.
"""

from __future__ import annotations

import logging
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

from radiodeep.errors import RadiodeepError
from radiodeep.images import read_image, write_image
from radiodeep.io import write_table
from radiodeep.segment.checkpoint import load_checkpoint, save_checkpoint
from radiodeep.segment.data import (
    Case,
    foreground_intensity,
    intensity_for,
    load_case,
    on_grid,
    split_usable,
)
from radiodeep.segment.infer import segment_image
from radiodeep.segment.metrics import dice_hd95, threshold_baseline, volume_ml
from radiodeep.segment.schedule import Job, train_all
from radiodeep.segment.train import DEFAULT_TRAINING, resolve_device

log = logging.getLogger(__name__)
DICE_COLUMNS = ["case_id", "patient_id", "fold", "dice", "hd95_mm", "volume_ref_ml", "volume_pred_ml",
                "dice_baseline", "hd95_baseline_mm", "low_dice", "note"]
STAGE_DEFAULTS = {"spacing": None, "folds": 3, "device": "auto", "tta": False, "parallel_models": True, "min_dice": 0.5, "intensity": None,
                  "postprocessing": {"largest_component": True, "fill_holes": True}}


def _versions() -> dict:
    import monai
    import torch

    import radiodeep

    return {"python": platform.python_version(), "torch": torch.__version__, "monai": monai.__version__,
            "SimpleITK": sitk.Version_VersionString(), "radiodeep": radiodeep.__version__}


def _predict_mask(net, case: Case, settings: dict, device: str, intensity: dict) -> np.ndarray:
    """The post-processed mask of ``case`` on its own (preprocess) grid: the image is resampled to the
    network's grid (``settings['spacing']``) and normalised with ``intensity``, and the probability
    goes back to the case's grid (:func:`radiodeep.segment.infer.segment_image`)."""
    meta = {"spacing": settings["spacing"], "intensity": intensity, "patch_size": settings["patch_size"],
            "inference": {k: settings[k] for k in ("overlap", "sw_batch_size", "tta", "postprocessing")}}
    return sitk.GetArrayFromImage(segment_image(net, meta, case.grid, device, case_id=case.case_id))


def job_intensity(spec: dict, train: list[Case], seed: int) -> dict:
    """The normalisation a network trains with: ``spec`` itself, or for ``scheme: foreground``
    (the CT plan) nnU-Net's statistics fitted on this network's training cases only."""
    if spec.get("scheme") == "foreground":
        return foreground_intensity(train, spec.get("percentiles", (0.5, 99.5)), seed=seed)
    return spec


def _split_validation(cases: list[Case], fraction: float, rng) -> tuple[list[Case], list[Case]]:
    patients = sorted({c.patient_id for c in cases})
    n_val = max(1, round(fraction * len(patients))) if fraction > 0 and len(patients) > 2 else 0
    val_patients = set(rng.permutation(patients)[:n_val])
    return [c for c in cases if c.patient_id not in val_patients], [c for c in cases if c.patient_id in val_patients]


def qc_row(case: Case, pred: np.ndarray, fold, modality: str, min_dice: float) -> dict:
    """One dice.csv row; the PET baseline is the 40%-SUVmax component holding the maximum."""
    dice, hd = dice_hd95(pred, case.mask, case.spacing)
    row = {"case_id": case.case_id, "patient_id": case.patient_id, "fold": fold, "dice": dice, "hd95_mm": hd,
           "volume_ref_ml": volume_ml(case.mask, case.spacing), "volume_pred_ml": volume_ml(pred, case.spacing),
           "dice_baseline": np.nan, "hd95_baseline_mm": np.nan, "low_dice": bool(dice < min_dice),
           "note": "" if pred.any() else "the U-Net found no ROI (empty prediction)"}
    if modality == "PET":
        row["dice_baseline"], row["hd95_baseline_mm"] = dice_hd95(threshold_baseline(case.raw), case.mask, case.spacing)
    return row


def summarise(dice: pd.DataFrame) -> dict:
    """Mean/median Dice of the U-Net and the baseline with a paired Wilcoxon signed-rank p."""
    from scipy.stats import wilcoxon

    d = dice.dropna(subset=["dice"])
    out = {"n": len(d), "dice_mean": float(d["dice"].mean()), "dice_median": float(d["dice"].median()),
           "hd95_median_mm": float(d["hd95_mm"].median()), "n_low_dice": int(d["low_dice"].sum())}
    b = d.dropna(subset=["dice_baseline"])
    if len(b) >= 2:
        out.update({"baseline_dice_mean": float(b["dice_baseline"].mean()),
                    "baseline_dice_median": float(b["dice_baseline"].median()),
                    "wilcoxon_p": float(wilcoxon(b["dice"], b["dice_baseline"]).pvalue)})
    return out


def not_run(predicted_path, case_id: str, reason: str) -> None:
    """For a case that failed in an earlier stage (``on_error: skip``): an empty placeholder at its
    declared mask output (no later stage reads it: they skip the case by its batch record)."""
    from radiodeep.io import atomic_path

    log.warning("case %s: not segmented: failed in %s", case_id, reason)
    with atomic_path(predicted_path) as tmp:
        Path(tmp).write_bytes(b"")


def train_segmenter(cases: pd.DataFrame, outputs: dict, predicted: dict[str, str], settings: dict,
                    modality: str, seed: int = 42, threads: int = 2, failed: dict[str, str] | None = None) -> dict:
    """Cross-validate, write out-of-fold masks and dice.csv, train and save the final model.

    Args:
        cases: rows with case_id, patient_id, image, mask (preprocessed files) of the labelled cases.
        outputs: paths keyed ``model`` (model.pt; model.json beside it) and ``dice`` (dice.csv).
        predicted: case_id -> output path of its predicted mask (out-of-fold, or from the final
            model for a case excluded from training).
        settings: ``DEFAULT_TRAINING`` keys plus folds, device, tta, postprocessing, min_dice, intensity.
        failed: ``{case: "<stage>: <reason>"}`` of cases an earlier stage left out (``on_error:
            skip``): not trained on, listed in dice.csv as ``not run``, an empty placeholder mask.
    Returns:
        The CV summary written into model.json.
    """
    import torch
    from sklearn.model_selection import GroupKFold

    settings = {**DEFAULT_TRAINING, **STAGE_DEFAULTS, **{k: v for k, v in settings.items() if v is not None}}
    torch.set_num_threads(threads)
    device = resolve_device(settings.get("device", "auto"))
    spec = settings.get("intensity")
    intensity = spec if spec and spec.get("scheme") else intensity_for(modality, spec)
    t0 = time.perf_counter()
    failed = {c: r for c, r in (failed or {}).items() if c in set(cases["case_id"])}
    skipped = cases[cases["case_id"].isin(failed)]
    cases = cases[~cases["case_id"].isin(failed)]
    loaded = [load_case(r.case_id, r.patient_id, r.image, r.mask, intensity) for r in cases.itertuples()]
    usable, excluded = split_usable(loaded)
    folds = int(settings["folds"])
    if len({c.patient_id for c in usable}) < folds:
        raise RadiodeepError(f"{len(usable)} cases with a non-empty reference mask cannot fill {folds} CV folds")
    rng = np.random.default_rng(seed)
    rows, fold_info, jobs, tests = [], [], [], []
    groups = [c.patient_id for c in usable]
    splitter = GroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    intensities = []
    for k, (tr, te) in enumerate(splitter.split(np.zeros(len(usable)), groups=groups)):
        fit, val = _split_validation([usable[i] for i in tr], settings["val_fraction"], rng)
        spec = job_intensity(intensity, fit, seed + k)
        intensities.append(spec)
        jobs.append(Job(f"fold {k}", [on_grid(c, settings["spacing"], spec) for c in fit],
                        [on_grid(c, settings["spacing"], spec) for c in val], seed + k))
        tests.append(te)
    final_intensity = job_intensity(intensity, usable, seed + folds)
    jobs.append(Job("final", [on_grid(c, settings["spacing"], final_intensity) for c in usable], [], seed + folds))
    t_train = time.perf_counter()
    trained = train_all(jobs, settings, device, threads)
    training_seconds = time.perf_counter() - t_train
    for k, (te, job, (net, info)) in enumerate(zip(tests, jobs, trained, strict=False)):
        fold_info.append({"fold": k, "n_train": len(job.train), "n_val": len(job.val), "n_test": len(te),
                          "intensity": intensities[k], **info})
        for i in te:
            pred = _predict_mask(net, usable[i], settings, device, intensities[k])
            _write_mask(pred, usable[i], predicted[usable[i].case_id])
            rows.append(qc_row(usable[i], pred, k, modality, settings["min_dice"]))
    net, final_info = trained[-1]
    for cid, reason in excluded:
        case = next(c for c in loaded if c.case_id == cid)
        pred = _predict_mask(net, case, settings, device, final_intensity)
        _write_mask(pred, case, predicted[cid])
        rows.append({**qc_row(case, pred, "excluded", modality, settings["min_dice"]), "low_dice": False, "note": reason})
    for r in skipped.itertuples():
        not_run(predicted[r.case_id], r.case_id, failed[r.case_id])
        rows.append({"case_id": r.case_id, "patient_id": r.patient_id, "fold": "not run",
                     "note": f"not run: failed in {failed[r.case_id]}"})
    dice = pd.DataFrame(rows, columns=DICE_COLUMNS).sort_values("case_id", kind="stable")
    write_table(dice, outputs["dice"])
    summary = {**summarise(dice), "folds": fold_info, "final": final_info, "excluded": dict(excluded),
               "training_seconds": round(training_seconds, 1), "total_seconds": round(time.perf_counter() - t0, 1), "device": device}
    log.info("CV summary: %s", {k: v for k, v in summary.items() if k != "folds"})
    meta = {
        "architecture": settings["architecture"], "spacing": list(jobs[-1].train[0].spacing),
        "patch_size": list(settings["patch_size"]), "intensity": final_intensity, "modality": modality,
        "label_map": {"0": "background", "1": "roi"},
        "training_cases": [{"case_id": c.case_id, **c.hashes} for c in usable],
        "versions": _versions(), "seed": seed,
        "training": {k: settings[k] for k in DEFAULT_TRAINING if k != "architecture"} | {"folds": folds},
        "inference": {"tta": settings["tta"], "postprocessing": settings["postprocessing"],
                      "overlap": settings["overlap"], "sw_batch_size": settings["sw_batch_size"]},
        "cv": summary,
    }
    save_checkpoint(net, meta, outputs["model"])
    return summary


def _write_mask(mask: np.ndarray, case: Case, path) -> None:
    out = sitk.GetImageFromArray(mask.astype(np.uint8))
    out.CopyInformation(case.grid)
    write_image(out, path)


def segment_case(image_path, model_pt, out_mask, device: str = "auto", tta: bool | None = None,
                 modality: str | None = None, case_id: str | None = None, threads: int = 2) -> dict:
    """Segment one image with a saved model; write the mask on the image's grid; return a summary."""
    import torch

    torch.set_num_threads(threads)
    device = resolve_device(device)
    net, meta = load_checkpoint(model_pt, device=device)
    image = read_image(image_path, case_id)
    mask = segment_image(net, meta, image, device, tta=tta, modality=modality, case_id=case_id, path=image_path)
    write_image(mask, out_mask)
    voxels = int(sitk.GetArrayViewFromImage(mask).sum())
    log.info("case %s: %d voxels segmented (%.1f ml)", case_id, voxels, voxels * np.prod(image.GetSpacing()) / 1000)
    return {"case_id": case_id, "voxels": voxels}
