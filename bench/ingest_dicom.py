"""Time to ingest a 300-slice CT series: radiodeep's ingest against a bare SimpleITK series read of the same files.

The series is synthesised from the shared STS_002 CT (GE, 48 slices): its slices repeated to
300, each with a new position, SOPInstanceUID and one new SeriesInstanceUID; `--size 512` tiles
each slice to 512 x 512 as a full CT field of view (default: both the native 143 x 161 and 512).
Also timed: the same series as JPEG 2000 lossless files and as one Legacy Converted Enhanced
file. Each line prints wall and CPU seconds and their ratios to the bare read measured in the same run.

    PYTHONPATH=. python bench/ingest_dicom.py [--size 0 512] [--slices 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.uid import JPEG2000Lossless, generate_uid

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "data" / "sts_multimodal" / "dicom" / "STS_002" / "CT"


def synthesise(dest: Path, n: int, size: int, syntax=None) -> Path:
    """``n`` slices cycled from the source series at its spacing (optionally tiled to size x size, compressed)."""
    src = sorted(SOURCE.glob("image/*.dcm"), key=lambda f: float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2]))
    first = pydicom.dcmread(src[0])
    dz = float(pydicom.dcmread(src[1]).ImagePositionPatient[2]) - float(first.ImagePositionPatient[2])
    series = generate_uid()
    dest.mkdir(parents=True)
    for i in range(n):
        ds = pydicom.dcmread(src[i % len(src)])
        if size:
            ds.PixelData = np.ascontiguousarray(np.tile(ds.pixel_array, (4, 4))[:size, :size]).tobytes()
            ds.Rows = ds.Columns = size
        ds.SeriesInstanceUID, ds.SOPInstanceUID, ds.InstanceNumber = series, generate_uid(), i + 1
        ds.ImagePositionPatient = [float(first.ImagePositionPatient[0]), float(first.ImagePositionPatient[1]),
                                   float(first.ImagePositionPatient[2]) + i * dz]
        if syntax:
            ds.compress(syntax)
        ds.save_as(dest / f"{i:04d}.dcm")
    return dest


def enhanced(src: Path, dest: Path) -> Path:
    import highdicom as hd

    image = hd.legacy.LegacyConvertedEnhancedCTImage([pydicom.dcmread(f) for f in sorted(src.glob("*.dcm"))],
                                                     generate_uid(), 900, generate_uid(), 1)
    dest.mkdir()
    image.save_as(dest / "enhanced.dcm")
    return dest


def timed(fn) -> tuple[float, float]:
    """Wall and CPU seconds (the CPU figure is steadier on a shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    from radiodeep.ingest import ingest_case

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=300)
    parser.add_argument("--size", type=int, nargs="+", default=[0, 512], help="in-plane size (0: the source's 143 x 161)")
    args = parser.parse_args()
    rs = next(SOURCE.glob("mask/*.dcm"))
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.size:
            base = Path(tmp) / f"s{size}"
            plain = synthesise(base / "plain", args.slices, size)
            j2k = synthesise(base / "j2k", args.slices, size, JPEG2000Lossless)
            multi = enhanced(plain, base / "enhanced")
            files = sorted(str(f) for f in plain.glob("*.dcm"))

            def bare(files=files):
                reader = sitk.ImageSeriesReader()
                reader.SetFileNames(files)
                reader.Execute()

            baseline, base_cpu = timed(bare)
            label = f"{args.slices} x {size or '143x161'}"
            print(f"{label}: bare SimpleITK series read {baseline:.2f} s wall, {base_cpu:.2f} s CPU (baseline)")
            for name, folder in (("classic", plain), ("JPEG 2000 lossless", j2k), ("Legacy Converted Enhanced", multi)):
                out = base / f"out_{name[:4]}"
                t, cpu = timed(lambda folder=folder, out=out: ingest_case(folder, rs, out, case_id="BENCH", modality="CT"))
                print(f"{label}: ingest {name} (read, checks, RTSTRUCT, NIfTI written) {t:.2f} s wall, {cpu:.2f} s CPU; "
                      f"{t / baseline:.1f}x the bare read's wall, {cpu / base_cpu:.1f}x its CPU")


if __name__ == "__main__":
    main()
