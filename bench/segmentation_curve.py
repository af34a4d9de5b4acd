"""Out-of-fold Dice against training time: what more U-Net training buys on a cohort.

Reads a finished run's preprocessed cases and plan (``WORKDIR/results``), retrains the
segmentation stage (the plan's grid, patch, depth and normalisation; CV folds + final model) at
several step counts, and prints one row per count: steps, wall minutes of the stage, mean and
median out-of-fold Dice, cases below 0.5. The stage's own settings otherwise (config defaults).

    PYTHONPATH=. python bench/segmentation_curve.py WORKDIR --steps 100 300 700 [--threads 2]
        [--architecture '{"channels": [8, 16, 32, 64, 128], "num_res_units": 0}']

``--architecture`` overrides keys of the planned MONAI UNet arguments (the strides stay planned).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from radiodeep.plan import planned
from radiodeep.segment.stage import train_segmenter

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workdir", type=Path)
    ap.add_argument("--steps", type=int, nargs="+", default=[100, 300, 700])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--architecture", type=json.loads, default={}, help="JSON: UNet arguments replacing the planned ones")
    args = ap.parse_args()
    res = args.workdir / "results"
    plan = res / "plan.json"
    cases = sorted(p.name for p in (res / "preprocess").iterdir() if (p / "mask.nii").exists())
    table = pd.DataFrame({"case_id": cases, "patient_id": cases,
                          "image": [str(res / "preprocess" / c / "image.nii") for c in cases],
                          "mask": [str(res / "preprocess" / c / "mask.nii") for c in cases]})
    config = yaml.safe_load((REPO / "config.yaml").read_text())["segment"]
    settings = {k: v for k, v in config.items() if k not in ("enabled", "mask_source", "min_icc")}
    settings.update({k: planned(plan, f"segment.{k}") for k in ("spacing", "patch_size", "architecture", "intensity")})
    settings["architecture"] = {**settings["architecture"], **args.architecture}
    modality = yaml.safe_load(plan.read_text())["modality"]
    print(f"{modality}: {len(cases)} cases, grid {settings['spacing']}, patch {settings['patch_size']}, "
          f"architecture {settings['architecture']}")
    print("steps minutes dice_mean dice_median n_below_0.5")
    for steps in args.steps:
        with tempfile.TemporaryDirectory() as tmp:
            out = {"model": str(Path(tmp) / "model.pt"), "dice": str(Path(tmp) / "dice.csv")}
            predicted = {c: str(Path(tmp) / c / "mask.nii.gz") for c in cases}
            t = time.perf_counter()
            summary = train_segmenter(table, out, predicted, {**settings, "steps": steps}, modality, threads=args.threads)
            minutes = (time.perf_counter() - t) / 60
        print(f"{steps} {minutes:.2f} {summary['dice_mean']:.3f} {summary['dice_median']:.3f} {summary['n_low_dice']}", flush=True)


if __name__ == "__main__":
    main()
