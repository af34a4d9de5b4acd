"""Nested-CV cost of the model pipeline: array output inside CV (what the model stage uses)
against pandas output (kept for the saved final model). Prints times and their ratio.
``--scale N P``: the model stage's nested CV with mRMR (one repeat) and ``--permutations``
permutation refits on a synthetic N x P table, serial against ``--jobs`` processes (outer folds
and permutation refits run in parallel); prints both times, their ratio and whether the
out-of-fold predictions and null AUCs are identical.

    PYTHONPATH=. python bench/model_cv.py [--scale 1000 1000 --jobs 2 --permutations 2]
"""

import argparse
import time

import numpy as np
import pandas as pd

from radiodeep.model import build_pipeline, cross_validated_predictions, design_matrix


def main(n: int = 51, p: int = 107) -> None:
    rng = np.random.default_rng(0)
    ids = [f"c{i}" for i in range(n)]
    feats = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"original_firstorder_f{i}" for i in range(p)])
    feats.insert(0, "case_id", ids)
    feats.insert(1, "patient_id", ids)
    X, y, groups, case_ids = design_matrix(feats, pd.DataFrame({"case_id": ids, "label": np.arange(n) % 2}), 5)
    times = {}
    for pandas_output in (True, False):
        start = time.perf_counter()
        cross_validated_predictions(X, y, groups, case_ids, lambda po=pandas_output: build_pipeline("elasticnet", 0, pandas_output=po),
                                    n_splits=5, n_repeats=1, inner_splits=3)
        times[pandas_output] = time.perf_counter() - start
    print(f"nested CV, {n} cases x {p} features: pandas output {times[True]:.2f} s, array output {times[False]:.2f} s, "
          f"ratio {times[True] / times[False]:.2f}")


def scaled(n: int, p: int, jobs: int, permutations: int) -> None:
    from radiodeep.model.cv import permutation_null

    rng = np.random.default_rng(0)
    ids = [f"c{i}" for i in range(n)]
    y = np.arange(n) % 2
    feats = pd.DataFrame(rng.normal(size=(n, p)) + 0.3 * y[:, None] * (np.arange(p) < 5),
                         columns=[f"original_firstorder_f{i}" for i in range(p)])
    feats.insert(0, "case_id", ids)
    feats.insert(1, "patient_id", ids)
    X, y, groups, case_ids = design_matrix(feats, pd.DataFrame({"case_id": ids, "label": y}), 5)

    def make():
        return build_pipeline("elasticnet", 0, selection="mrmr", n_select=20, pandas_output=False)

    out, times = {}, {}
    for n_jobs in (1, jobs):
        start = time.perf_counter()
        oof = cross_validated_predictions(X, y, groups, case_ids, make, 5, 1, 3, seed=0, n_jobs=n_jobs)
        null = permutation_null(X, y, groups, case_ids, make, permutations, 5, 3, seed=0, n_jobs=n_jobs)
        times[n_jobs], out[n_jobs] = time.perf_counter() - start, (oof, null)
    same = out[1][0].equals(out[jobs][0]) and np.array_equal(out[1][1], out[jobs][1])
    print(f"nested CV (5 folds x 1 repeat, inner 3, mRMR 20) + {permutations} permutation refits, {n} cases x {p} "
          f"features: n_jobs 1 {times[1]:.1f} s, n_jobs {jobs} {times[jobs]:.1f} s, ratio {times[1] / times[jobs]:.2f}; "
          f"identical results: {same}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, nargs=2, metavar=("N", "P"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--permutations", type=int, default=2)
    args = ap.parse_args()
    if args.scale:
        scaled(*args.scale, args.jobs, args.permutations)
    else:
        main()
