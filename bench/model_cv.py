"""Nested-CV cost of the model pipeline: array output inside CV (what the model stage uses)
against pandas output (kept for the saved final model). Prints times and their ratio.

    PYTHONPATH=. python bench/model_cv.py
"""

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


if __name__ == "__main__":
    main()
