"""Peak memory of the embed stage at N and 4N cases: it must not grow with the cohort.

Usage: python bench/embed_memory.py [--cases 32] [--crop-mm 64] [--batch-size 8] [--code CHECKOUT]

Writes N and 4N synthetic cases (50 x 50 x 10 voxels at 1 mm, the size of the LIDC nodule
crops of issue 20; each case its own seeded noise and ROI) to a temporary folder, then runs the
embed stage (``radiodeep.embed.run_embedding``: random ResNet-10 backbone, crop ``--crop-mm`` at
1 mm, one JSON record per case) in a fresh process per size and prints that process's peak
resident memory (``ru_maxrss``), the resident memory before the first case (imports and network),
the growth above it, and the ratio of the peaks, 4N over N (target <= 1.5; the growth's ratio is
the sharper figure, since torch and the network are most of the peak at small N). Before streaming, every crop of the
cohort was held at once (two float32 arrays of crop_mm^3 voxels per case).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def write_cases(folder: Path, n: int) -> list[tuple[str, str, str]]:
    import numpy as np
    import SimpleITK as sitk

    cases = []
    z, y, x = np.meshgrid(np.arange(10), np.arange(50), np.arange(50), indexing="ij")
    for i in range(n):
        rng = np.random.default_rng(i)
        cy, cx = 25 + rng.integers(-5, 6, 2)
        radius = 6 + rng.integers(0, 5)
        inside = ((y - cy) ** 2 + (x - cx) ** 2) / radius**2 + ((z - 4.5) / 4) ** 2 <= 1
        suv = (1 + rng.gamma(2.0, 0.3, size=z.shape) + 6 * inside).astype(np.float32)
        for name, arr in (("image", suv), ("mask", inside.astype(np.uint8))):
            im = sitk.GetImageFromArray(arr)
            im.SetSpacing((1.0, 1.0, 1.0))
            sitk.WriteImage(im, str(folder / f"case{i:04d}_{name}.nii.gz"))
        cases.append((f"case{i:04d}", str(folder / f"case{i:04d}_image.nii.gz"), str(folder / f"case{i:04d}_mask.nii.gz")))
    return cases


def child(spec: Path) -> None:
    """Run the embed stage on the cases of ``spec``; print peak RSS (MB) and the RSS before embedding."""
    import resource

    import psutil

    from radiodeep.embed import CaseInput, build_backbone, run_embedding

    job = json.loads(spec.read_text())
    build_backbone(job["settings"])  # import-time and network allocations, as in the stage
    before = psutil.Process().memory_info().rss / 2**20
    start = time.perf_counter()
    run_embedding([CaseInput(*c) for c in job["cases"]], job["settings"], job["outputs"], threads=2)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_mb": peak, "before_mb": before, "seconds": seconds}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=32)
    parser.add_argument("--crop-mm", type=float, default=64.0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--code", type=Path, default=REPO,
                        help="checkout whose radiodeep runs the stage (e.g. one before streaming, for a before/after)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child)
    settings = {"backbone": "random", "resnet": {"depth": 10, "widen_factor": 0.5, "conv1_t_stride": 2},
                "crop_mm": args.crop_mm, "spacing": 1.0, "batch_size": args.batch_size}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        all_cases = write_cases(root, 4 * args.cases)
        peaks, growth = {}, {}
        for n in (args.cases, 4 * args.cases):
            out = root / f"out{n}"
            out.mkdir()
            spec = root / f"job{n}.json"
            spec.write_text(json.dumps({"settings": settings, "cases": all_cases[:n],
                                        "outputs": [str(out / f"{c[0]}.json") for c in all_cases[:n]]}))
            proc = subprocess.run([sys.executable, __file__, "--child", str(spec)], capture_output=True, text=True,
                                  cwd=root, env={**os.environ, "PYTHONPATH": str(args.code.resolve())}, check=False)
            if proc.returncode != 0:
                sys.exit(f"embed stage failed at {n} cases:\n{proc.stderr[-3000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            assert len(list(out.glob("*.json"))) == n
            peaks[n] = result["peak_mb"]
            growth[n] = result["peak_mb"] - result["before_mb"]
            print(f"{n:5d} cases: embed peak RSS {result['peak_mb']:.0f} MB (before the first case "
                  f"{result['before_mb']:.0f} MB), {result['seconds']:.1f} s")
    crop_mb = 2 * 4 * round(args.crop_mm) ** 3 / 2**20
    print(f"crop {args.crop_mm:g} mm at 1 mm, batch {args.batch_size}: holding every crop would need "
          f"{crop_mb * args.cases:.0f} MB at {args.cases} and {crop_mb * 4 * args.cases:.0f} MB at {4 * args.cases} cases")
    # the peak includes torch and the network (the same at every size); the growth above it is the stage's own
    print(f"growth above the RSS before the first case: {growth[args.cases]:.0f} MB at {args.cases}, "
          f"{growth[4 * args.cases]:.0f} MB at {4 * args.cases} cases, ratio {growth[4 * args.cases] / growth[args.cases]:.2f}")
    print(f"ratio_peak_rss_4N_over_N={peaks[4 * args.cases] / peaks[args.cases]:.3f}")


if __name__ == "__main__":
    main()
