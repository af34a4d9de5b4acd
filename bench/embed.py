"""Embedding speed: batched inference (embed.batch_size) against one case at a time, same run.

Usage: PYTHONPATH=. python bench/embed.py [results/preprocess] [checkpoint.pt]
Without a checkpoint the random ResNet-18 backbone is timed. Prints seconds and the ratio.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

from radiodeep.embed import CaseInput, build_backbone, embed_cases
from radiodeep.seeds import seed_everything


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "results/preprocess")
    cases = [CaseInput(d.name, d / "image.nii", d / "mask.nii") for d in sorted(root.iterdir()) if (d / "mask.nii").exists()]
    if not cases:
        sys.exit(f"no preprocessed cases under {root}; run `snakemake --until preprocess` first")
    settings = {"backbone": "unet-encoder", "checkpoint": sys.argv[2]} if len(sys.argv) > 2 else {"backbone": "random", "resnet": {"depth": 18}}
    seed_everything(42)
    torch.set_num_threads(2)
    backbone = build_backbone(settings)
    embed_cases(cases[:4], backbone, batch_size=4)  # warm-up: first-call allocations, file cache
    timings, vectors = {}, {}
    for batch in (1, 8):
        start = time.perf_counter()
        recs = embed_cases(cases, backbone, batch_size=batch)
        timings[batch] = time.perf_counter() - start
        vectors[batch] = np.array([list(r["features"].values()) for r in recs])
    diff = float(np.abs(vectors[1] - vectors[8]).max())
    print(f"{len(cases)} cases, {backbone.name}: batch 1 {timings[1]:.1f} s, batch 8 {timings[8]:.1f} s, "
          f"speed-up {timings[1] / timings[8]:.2f}x; max |difference| {diff:.2e}")


if __name__ == "__main__":
    main()
