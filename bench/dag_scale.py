"""How the plan scales: `snakemake -n` on synthetic manifests of many cases.

Writes a manifest of N cases whose image and mask are empty placeholder files (a dry run reads
none of them; the manifest validation only checks that they exist), then times
`snakemake -n` and reports seconds, peak memory (max RSS of the Snakemake process) and the number of jobs.

    python bench/dag_scale.py                 # 1,000 and 5,000 cases
    python bench/dag_scale.py --cases 200 1000

The last line compares the growth of the time with that of the cohort (largest vs smallest):
a time ratio at or below the case ratio means the plan grows no worse than linearly.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def write_cohort(folder: Path, n: int) -> Path:
    """A manifest of n cases with empty placeholder image and mask files."""
    files = folder / "files"
    files.mkdir(parents=True)
    rows = ["case_id,patient_id,image,mask,label"]
    for i in range(n):
        case = f"C{i:06d}"
        for kind in ("image", "mask"):
            (files / f"{case}_{kind}.nii.gz").touch()
        rows.append(f"{case},P{i:06d},files/{case}_image.nii.gz,files/{case}_mask.nii.gz,{i % 2}")
    manifest = folder / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n")
    return manifest


def dry_run(folder: Path, manifest: Path, *extra: str) -> tuple[float, float, int]:
    """Seconds, peak MB and number of jobs of `snakemake -n` for this manifest."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--quiet", "rules",
           "-s", str(REPO / "Snakefile"), "--directory", str(folder),
           "--config", f"manifest={manifest}", *extra]
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (peak RSS in kB)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"snakemake -n failed:\n{text[-4000:]}")
    total = re.search(r"^total\s+(\d+)", text, re.M)
    return seconds, usage.ru_maxrss / 1024, int(total.group(1)) if total else -1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    results = []
    for n in sorted(args.cases):
        with tempfile.TemporaryDirectory(prefix=f"dag{n}_") as tmp:
            folder = Path(tmp)
            manifest = write_cohort(folder, n)
            seconds, peak_mb, jobs = dry_run(folder, manifest)
            results.append((n, seconds, peak_mb, jobs))
            print(f"{n:6d} cases: snakemake -n {seconds:6.1f} s, peak {peak_mb:7.0f} MB, {jobs} jobs "
                  f"({1000 * seconds / n:.1f} ms/case)", flush=True)
    if len(results) > 1:
        (n0, s0, _, _), (n1, s1, _, _) = results[0], results[-1]
        print(f"{n1} vs {n0} cases: time ratio {s1 / s0:.2f} for a case ratio {n1 / n0:.2f} "
              f"(seconds per case ratio {(s1 / n1) / (s0 / n0):.2f}; 1 = linear)")


if __name__ == "__main__":
    main()
