"""A cohort from manifest to feature tables at 51, 204 and 1,020 cases, against pyradiomics' batch CLI.

For each size the demo cohort (data/sts_pet, 51 PET cases) is repeated K times under new case and
patient ids (the files are the demo's own; nothing is copied). radiodeep runs
``snakemake results/features/radiomics.parquet`` in a fresh folder (ingest, preprocess, radiomics,
features, provenance; U-Net off, no model): its wall time, and per stage (Snakemake's benchmark
files, ``results/benchmarks/<stage>/``) the jobs, the sum of their wall seconds, their CPU seconds
and the largest peak RSS of one job. Then, in the same run, ``pyradiomics batch.csv --jobs <cores>``
extracts the same preset from the same cases (radiodeep's preprocessed images, so pyradiomics is
given no preprocessing to do) with one BLAS thread, as radiodeep's. The ratio is radiodeep's whole
manifest-to-tables time over pyradiomics' extraction time (wall; the line before it: CPU seconds,
which other load on a shared machine disturbs less). With ``--repeats N`` both sides run N times,
alternating, each in a fresh folder, and the ratio is of their fastest runs (as ``timeit`` takes
the best: on a shared virtual machine the CLI's own wall time at 1,020 cases varied 116-134 s
between runs, more than the margins measured); every run's time is printed. Last line:
``ratio_51=<x> ratio_204=<y> ratio_1020=<z>``.

    PYTHONPATH=$PWD nice -n 10 .venv/bin/python bench/cohort_scale.py [--cores N] [--sizes 51 204 1020]
        [--repeats N] [--repo OTHER_CHECKOUT]   # e.g. an older main: the same measurement of its workflow ("before")
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BLAS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
STUDY = {"segment": {"enabled": False, "mask_source": "reference"}, "model": {"feature_sets": ["handcrafted"]}}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict, cwd: Path | None = None) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the command and every process it waited for."""
    t0, c0 = time.perf_counter(), _children_cpu()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0, _children_cpu() - c0


def cohort(work: Path, copies: int) -> pd.DataFrame:
    """The demo manifest ``copies`` times over (copy k: ids suffixed ``_c<k>``), absolute paths."""
    demo = HERE / "data" / "sts_pet"
    base = pd.read_csv(demo / "manifest.csv")
    for col in ("image", "mask"):
        base[col] = [str(demo / p) for p in base[col]]
    parts = [base] + [base.assign(case_id=base.case_id + f"_c{k}", patient_id=base.patient_id + f"_c{k}")
                      for k in range(2, copies + 1)]
    manifest = pd.concat(parts, ignore_index=True)
    work.mkdir(parents=True)
    manifest.to_csv(work / "manifest.csv", index=False)
    (work / "study.yaml").write_text(yaml.safe_dump({"manifest": str(work / "manifest.csv"), **STUDY}))
    return manifest


def stages(benchmarks: Path) -> pd.DataFrame:
    """Per stage (benchmark sub-folder, or file for a cohort rule): jobs, wall and CPU seconds, peak RSS."""
    rows = []
    for tsv in sorted(benchmarks.rglob("*.tsv")):
        rel = tsv.relative_to(benchmarks)
        b = pd.read_csv(tsv, sep="\t", na_values=["-"])
        rows.append({"stage": rel.parts[0] if len(rel.parts) > 1 else tsv.stem, "s": b["s"].mean(),
                     "cpu_s": b["cpu_time"].mean(), "max_rss_mb": b["max_rss"].max()})
    df = pd.DataFrame(rows)
    return df.groupby("stage").agg(jobs=("s", "size"), job_s=("s", "sum"), cpu_s=("cpu_s", "sum"),
                                   max_rss_mb=("max_rss_mb", "max")).round(2).sort_values("job_s", ascending=False)


def measure(work: Path, copies: int, cores: int, repo: Path) -> tuple[tuple, tuple, pd.DataFrame]:
    manifest = cohort(work, copies)
    env = {**os.environ, "PYTHONPATH": str(repo), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    ours = timed([str(BIN / "snakemake"), "results/features/radiomics.parquet", "--quiet", "all", "-s",
                  str(repo / "Snakefile"), "--directory", str(work), "--cores", str(cores),
                  "--configfile", str(work / "study.yaml")], env)
    per_stage = stages(work / "results" / "benchmarks")
    cases = list(manifest.case_id)
    pd.DataFrame({"case_id": cases, "Image": [str(work / f"results/preprocess/{c}/image.nii") for c in cases],
                  "Mask": [str(work / f"results/preprocess/{c}/mask.nii") for c in cases]}
                 ).to_csv(work / "batch.csv", index=False)
    from radiodeep.radiomics import load_preset
    from radiodeep.radiomics.presets import pyradiomics_sections

    (work / "pet.yaml").write_text(yaml.safe_dump(pyradiomics_sections(load_preset("PET"))))
    theirs = timed([str(BIN / "pyradiomics"), str(work / "batch.csv"), "--param", str(work / "pet.yaml"),
                    "--jobs", str(cores), "-o", str(work / "pyradiomics.csv"), "-f", "csv"],
                   {**env, **dict.fromkeys(BLAS, "1")})
    n_theirs = len(pd.read_csv(work / "pyradiomics.csv"))
    n_ours = len(pd.read_parquet(work / "results" / "features" / "radiomics.parquet"))
    if n_theirs != len(cases) or n_ours != len(cases):
        raise SystemExit(f"{len(cases)} cases: radiodeep's table has {n_ours} rows, pyradiomics' {n_theirs}")
    return ours, theirs, per_stage


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", type=int, default=os.cpu_count())
    ap.add_argument("--sizes", type=int, nargs="+", default=[51, 204, 1020], help="multiples of 51")
    ap.add_argument("--repo", type=Path, default=HERE, help="the checkout whose workflow is measured")
    ap.add_argument("--repeats", type=int, default=1, help="runs of each side per size; the fastest of each is compared")
    ap.add_argument("--keep", action="store_true", help="keep the working folders (printed)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cohort_scale_"))
    ratios, cpu_ratios = [], []
    try:
        for size in args.sizes:
            if size % 51:
                raise SystemExit(f"--sizes: {size} is not a multiple of the demo's 51 cases")
            runs = [measure(root / f"{size}_{r}", size // 51, args.cores, args.repo.resolve()) for r in range(args.repeats)]
            (ours, ours_cpu), _, per_stage = min(runs, key=lambda run: run[0][0])
            theirs, theirs_cpu = min((run[1] for run in runs), key=lambda t: t[0])
            if args.repeats > 1:
                print(f"\n{size} cases, every run (wall s): radiodeep {', '.join(f'{r[0][0]:.1f}' for r in runs)}; "
                      f"pyradiomics {', '.join(f'{r[1][0]:.1f}' for r in runs)}")
            print(f"\n{size} cases, {args.cores} cores: radiodeep manifest -> tables {ours:.1f} s wall, "
                  f"{ours_cpu:.1f} s CPU; pyradiomics batch --jobs {args.cores} {theirs:.1f} s wall, "
                  f"{theirs_cpu:.1f} s CPU; ratio {ours / theirs:.2f} (CPU {ours_cpu / theirs_cpu:.2f})")
            print(per_stage.to_string())
            ratios.append(f"ratio_{size}={ours / theirs:.2f}")
            cpu_ratios.append(f"cpu_ratio_{size}={ours_cpu / theirs_cpu:.2f}")
            sys.stdout.flush()
    finally:
        if args.keep:
            print(f"working folders: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(" ".join(cpu_ratios))  # CPU seconds: less sensitive to other load on a shared machine
    print(" ".join(ratios))


if __name__ == "__main__":
    main()
