"""radiodeep's radiomics vs the plain pyradiomics CLI: same preset, same inputs, same cores.

(a) cohort: the 51-case demo cohort through the workflow's radiomics batch rules (Snakemake,
    ``--cores N``, the default ``radiomics.batch_size``; Snakemake's start-up, DAG and job
    bookkeeping included) vs ``pyradiomics batch.csv --jobs N`` on the same preprocessed files.
(b) single: one full-field-of-view CT with LoG (3 sigmas) and wavelet on: ``run_case(...,
    workers=N)`` (the case's images packed into N groups, cropped once before the filters) vs
    ``pyradiomics image mask --param`` with the same preset (one case: one process). The CT is
    the IBSI CT phantom (204 x 201 x 60) unless ``--ct IMAGE MASK`` names another, e.g. the
    512 x 512 lung cases of pyradiomics' source distribution (17 MB, not in this repository)::

        pip download pyradiomics==3.0.1 --no-deps --no-binary :all: -d /tmp/sd
        tar -xzf /tmp/sd/pyradiomics-3.0.1.tar.gz -C /tmp/sd pyradiomics-3.0.1/data
        ... --only single --ct /tmp/sd/pyradiomics-3.0.1/data/lung2_image.nrrd /tmp/sd/pyradiomics-3.0.1/data/lung2_label.nrrd

Both sides pay process start-up and imports; each side's fastest of ``--repeats`` runs
(alternated) is kept, as the machine may be shared. Feature values are checked to be identical.
radiodeep runs every pyradiomics call with one BLAS thread, so pyradiomics does too by default
(``--blas-threads 1``: same numerics, the GLCM MCC's last bit depends on the BLAS threads; same
threading). ``--blas-threads 0`` leaves pyradiomics' environment as it is, as a user's shell
would: its GLCM eigenvalues then use a BLAS thread per core in each process, which on a busy
machine can be several times slower, and values may differ from radiodeep's in the last bit.
The last line is ``ratio_cohort=<x> ratio_single=<y>`` (radiodeep time / pyradiomics time).

``--copies K`` repeats the demo cohort K times under new case ids (51 x K cases), to see how the
cohort ratio moves once the extraction outweighs Snakemake's fixed start-up.

    PYTHONPATH=$PWD .venv/bin/python bench/radiomics_vs_pyradiomics.py [--cores N] [--cases K] [--copies K] [--only cohort|single]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PYTHONPATH": str(REPO), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
BLAS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
FILTERS = {"Original": {}, "LoG": {"sigma": [1.0, 2.0, 3.0]}, "Wavelet": {}}


def _run(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env or ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def _pyradiomics_env(blas_threads: int) -> dict:
    return ENV if not blas_threads else {**ENV, **dict.fromkeys(BLAS, str(blas_threads))}


def _pyradiomics_csv(path: Path) -> dict[str, dict[str, float]]:
    """pyradiomics batch output -> {case_id: {feature: value}}."""
    table = pd.read_csv(path)
    out = {}
    for _, row in table.iterrows():
        out[str(row["case_id"])] = {k: float(v) for k, v in row.items() if "_" in k and not k.startswith(("diagnostics_", "case_id"))
                                    and k not in ("Image", "Mask")}
    return out


def _same(ours: dict[str, float | None], theirs: dict[str, float], blas_threads: int) -> bool:
    """Same names; values equal (pyradiomics' CSV prints floats with repr, so exactly), NaN as None.
    pyradiomics with other BLAS threads than radiodeep's one: equal to 1e-12 (the MCC's last bit)."""
    if set(ours) != set(theirs):
        return False
    tol = 0.0 if blas_threads == 1 else 1e-12
    return all((ours[k] is None and math.isnan(theirs[k])) or math.isclose(ours[k], theirs[k], rel_tol=tol, abs_tol=0.0)
               for k in ours)


def cohort(work: Path, cores: int, n_cases: int | None, repeats: int, blas_threads: int, copies: int = 1) -> float:
    manifest = pd.read_csv(REPO / "data" / "sts_pet" / "manifest.csv")
    if n_cases:
        manifest = manifest.head(n_cases)
    if copies > 1:  # a larger cohort: copy k of each patient is a new case (and patient) id
        manifest = pd.concat([manifest] + [manifest.assign(case_id=manifest["case_id"] + f"_c{k}",
                                                           patient_id=manifest["patient_id"] + f"_c{k}")
                                           for k in range(2, copies + 1)], ignore_index=True)
    for col in ("image", "mask"):
        manifest[col] = [str(REPO / "data" / "sts_pet" / p) for p in manifest[col]]
    manifest.to_csv(work / "manifest.csv", index=False)
    cases = list(manifest["case_id"])

    def smk(targets: list[str]) -> list[str]:  # targets first: --config takes every argument after it
        return [str(BIN / "snakemake"), *targets, "--quiet", "all", "-s", str(REPO / "Snakefile"), "--directory",
                str(work), "--cores", str(cores), "--config", f"manifest={work / 'manifest.csv'}"]

    _run(smk(["results/preprocess/qc.csv"]))  # every preprocess batch
    batch = pd.DataFrame({"case_id": cases, "Image": [str(work / f"results/preprocess/{c}/image.nii") for c in cases],
                          "Mask": [str(work / f"results/preprocess/{c}/mask.nii") for c in cases]})
    batch.to_csv(work / "batch.csv", index=False)
    from radiodeep.radiomics import load_preset
    from radiodeep.radiomics.presets import pyradiomics_sections

    (work / "pet.yaml").write_text(yaml.safe_dump(pyradiomics_sections(load_preset("PET"))))
    dry = [a for a in smk(["results/features/radiomics.parquet", "-n"]) if a not in ("--quiet", "all")]
    listed = subprocess.run(dry, capture_output=True, text=True, check=True).stdout
    jobs = sorted(set(re.findall(r"^rule (radiomics_\d+):", listed, re.M)))  # the batch rules (a record each)
    t_ours = t_theirs = math.inf
    for _ in range(repeats):  # alternate the two and keep each one's fastest run: the machine is shared
        for sub in ("radiomics", "logs/radiomics", "benchmarks/radiomics"):
            shutil.rmtree(work / "results" / sub, ignore_errors=True)
        t_ours = min(t_ours, _run(smk(jobs)))
        (work / "pyradiomics.csv").unlink(missing_ok=True)  # pyradiomics appends to an existing output
        t_theirs = min(t_theirs, _run([str(BIN / "pyradiomics"), str(work / "batch.csv"), "--param", str(work / "pet.yaml"),
                                       "--jobs", str(cores), "-o", str(work / "pyradiomics.csv"), "-f", "csv"],
                                      env=_pyradiomics_env(blas_threads)))
    theirs = _pyradiomics_csv(work / "pyradiomics.csv")
    same = all(_same(json.loads((work / f"results/radiomics/{c}.json").read_text())["features"], theirs[c], blas_threads)
               for c in cases)
    jobs = len(list((work / "results" / "benchmarks" / "radiomics").glob("*.tsv")))
    print(f"cohort ({len(cases)} cases, {cores} cores): radiodeep (snakemake, {jobs} radiomics batch jobs) {t_ours:.2f} s, "
          f"pyradiomics batch --jobs {cores} {t_theirs:.2f} s (BLAS threads: {blas_threads or 'env'}; best of {repeats}), "
          f"values identical: {same}")
    if not same:
        raise SystemExit("values differ between radiodeep and pyradiomics")
    return t_ours / t_theirs


def single(work: Path, cores: int, repeats: int, ct: tuple[Path, Path] | None, blas_threads: int) -> float:
    if ct is None:
        phantom = REPO / "tests" / "data" / "ibsi" / "ct_phantom" / "nifti"
        ct = next((phantom / "image").glob("*.nii.gz")), next((phantom / "mask").glob("*.nii.gz"))
    image, mask = (Path(p).resolve() for p in ct)
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(image))
    reader.ReadImageInformation()
    from radiodeep.radiomics import load_preset
    from radiodeep.radiomics.presets import pyradiomics_sections

    params = pyradiomics_sections(load_preset("CT", {"imageType": FILTERS}))
    (work / "ct.yaml").write_text(yaml.safe_dump(params))
    code = ("import yaml; from radiodeep.radiomics import run_case; "
            f"run_case({str(image)!r}, {str(mask)!r}, {str(work / 'ours.json')!r}, yaml.safe_load(open({str(work / 'ct.yaml')!r})), "
            f"'ct', workers={cores})")
    t_ours = t_theirs = math.inf
    for _ in range(repeats):  # alternate the two and keep each one's fastest run: the machine is shared
        t_ours = min(t_ours, _run([sys.executable, "-c", code]))
        (work / "single.csv").unlink(missing_ok=True)
        t_theirs = min(t_theirs, _run([str(BIN / "pyradiomics"), str(image), str(mask), "--param", str(work / "ct.yaml"),
                                       "-o", str(work / "single.csv"), "-f", "csv"], env=_pyradiomics_env(blas_threads)))
    theirs = pd.read_csv(work / "single.csv").iloc[0]
    theirs = {k: float(v) for k, v in theirs.items() if not k.startswith("diagnostics_") and k not in ("Image", "Mask")}
    ours = json.loads((work / "ours.json").read_text())["features"]
    same = _same(ours, theirs, blas_threads)
    print(f"single CT {image.name} {reader.GetSize()}, Original + LoG x3 + wavelet ({len(ours)} features): radiodeep "
          f"workers={cores} {t_ours:.2f} s, pyradiomics {t_theirs:.2f} s (BLAS threads: {blas_threads or 'env'}; best of "
          f"{repeats}), values identical: {same}")
    if not same:
        raise SystemExit("values differ between radiodeep and pyradiomics")
    return t_ours / t_theirs


def _spin(_=None) -> float:
    t0 = time.perf_counter()
    x = 0
    for i in range(5_000_000):
        x += i
    return time.perf_counter() - t0


def capacity(cores: int) -> str:
    """How many cores this process gets now: N CPU-bound processes vs one (another load shares them)."""
    import multiprocessing

    one = min(_spin() for _ in range(2))
    with multiprocessing.get_context("fork").Pool(cores) as pool:
        t0 = time.perf_counter()
        pool.map(_spin, range(cores))
        many = time.perf_counter() - t0
    return f"machine: {cores} busy processes ran {cores * one / many:.2f}x as fast as one ({os.cpu_count()} cores)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", type=int, default=os.cpu_count())
    ap.add_argument("--cases", type=int, default=None, help="first K demo cases only (default: all 51)")
    ap.add_argument("--copies", type=int, default=1, help="cohort: the demo cases K times over, as new case ids (cohort-size scaling)")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each side (fastest kept)")
    ap.add_argument("--only", choices=("cohort", "single"), default=None, help="run one of the two (other ratio: nan)")
    ap.add_argument("--ct", nargs=2, type=Path, metavar=("IMAGE", "MASK"), help="the single case (default: IBSI CT phantom)")
    ap.add_argument("--blas-threads", type=int, default=1, help="BLAS threads of each pyradiomics process (0: as the environment says)")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the cohort's preprocessed files here between runs (default: a temporary folder)")
    args = ap.parse_args()
    r_single = r_cohort = float("nan")
    print(capacity(args.cores))
    with tempfile.TemporaryDirectory(prefix="radiodeep-bench-") as tmp:
        work = Path(tmp)
        if args.only != "cohort":
            r_single = single(work, args.cores, args.repeats, args.ct, args.blas_threads)
        if args.only != "single":
            if args.workdir:
                args.workdir.mkdir(parents=True, exist_ok=True)
            r_cohort = cohort(args.workdir.resolve() if args.workdir else work, args.cores, args.cases, args.repeats,
                              args.blas_threads, args.copies)
    print(capacity(args.cores))
    print(f"ratio_cohort={r_cohort:.3f} ratio_single={r_single:.3f}")


if __name__ == "__main__":
    main()
