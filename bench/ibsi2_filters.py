"""IBSI 2 filters: time per phase 2 configuration on the IBSI CT phantom, beside pyradiomics'
own LoG and wavelet filters on the same preprocessed image, measured in the same run.

For each configuration (A: 204 x 201 x 60 native, filters per slice; B: 200 x 197 x 180 at 1 mm,
3D): radiodeep's filter on the whole image (``apply_filter``) and on the ROI's neighbourhood
(``filtered_image``, what ``ibsi`` mode and ``ibsi-check`` run; exact for the ROI). Baselines:
pyradiomics' ``getLoGImage`` (sigma 1.5 mm) and ``getWaveletImage`` (db3, level 1: its 8
sub-bands, the time divided by their count for one) on the same image. Each time is the fastest of ``--repeats``;
the machine may be shared. Ratios: radiodeep time / pyradiomics LoG time (and / one wavelet
sub-band for configurations 6 and 7).

    PYTHONPATH=$PWD .venv/bin/python bench/ibsi2_filters.py [--data ../shared/data] [--repeats 2] [--only A|B]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk


def fastest(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(letter: str, data: Path, repeats: int) -> None:
    """Print the table of one configuration letter."""
    from radiomics import imageoperations

    from radiodeep.radiomics.filtered import filtered_image
    from radiodeep.radiomics.filters import apply_filter, filter_name
    from radiodeep.radiomics.ibsi2_phase2 import FILTERS, phantom

    image, _, reseg = phantom(data, letter)
    array, spacing = sitk.GetArrayFromImage(image).astype(np.float64), tuple(reversed(image.GetSpacing()))
    settings = {"force2D": letter == "A", "force2Ddimension": 0}
    log = fastest(lambda: list(imageoperations.getLoGImage(image, reseg, sigma=[1.5], **settings)), repeats)
    bands = len(list(imageoperations.getWaveletImage(image, reseg, wavelet="db3", level=1, **settings)))
    wav = fastest(lambda: list(imageoperations.getWaveletImage(image, reseg, wavelet="db3", level=1, **settings)), repeats) / bands
    print(f"configuration {letter}: image {image.GetSize()}; pyradiomics LoG {log:.2f} s, wavelet (one of {bands} sub-bands) {wav:.2f} s", flush=True)
    print(f"{'id':5} {'filter':48} {'whole s':>8} {'ROI s':>7} {'whole/pyr-LoG':>14} {'ROI/pyr-LoG':>12} {'ROI/pyr-wavelet':>16}")
    for number, pair in FILTERS.items():
        entry = pair[letter == "B"]
        if entry is None:
            continue
        whole = fastest(lambda e=entry: apply_filter(array, spacing, e), repeats)
        roi = fastest(lambda e=entry: filtered_image(image, reseg, e), repeats)
        vs_wavelet = f"{roi / wav:16.2f}" if number in (6, 7) else " " * 16
        print(f"{number}.{letter:3} {filter_name(entry):48} {whole:8.2f} {roi:7.2f} {whole / log:14.2f} {roi / log:12.2f} {vs_wavelet}",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only", choices=["A", "B"])
    args = parser.parse_args()
    for letter in [args.only] if args.only else ["A", "B"]:
        run(letter, args.data, args.repeats)


if __name__ == "__main__":
    main()
