"""Feature stability between two segmentations of the same cases: ICC(3,1) per feature.

ICC(3,1) (Shrout & Fleiss 1979; McGraw & Wong's ICC(C,1)): two-way mixed effects, consistency,
single rater. With n cases (rows) and k masks (columns) of one feature,

    ICC(3,1) = (MS_rows - MS_error) / (MS_rows + (k - 1) * MS_error)

where MS_rows = k * sum_i (mean_i - grand)^2 / (n - 1) and MS_error is the residual mean square
of the two-way ANOVA without interaction, SS_error / ((n - 1)(k - 1)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiodeep.features.tables import KEYS


def icc_3_1(ratings: np.ndarray) -> float:
    """ICC(3,1) of an (n cases x k raters) array; NaN with fewer than 2 cases or no variance.

    Example (Shrout & Fleiss 1979, Table 2: ICC(3,1) = 0.71):
        >>> sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
        >>> round(icc_3_1(sf), 4)
        0.7148
    """
    x = np.asarray(ratings, dtype=float)
    n, k = x.shape
    if n < 2 or k < 2:
        return float("nan")
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_error = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    ms_rows = ss_rows / (n - 1)
    ms_error = ss_error / ((n - 1) * (k - 1))
    denom = ms_rows + (k - 1) * ms_error
    if denom <= 0:
        return float("nan")
    return float((ms_rows - ms_error) / denom)


def feature_stability(reference: pd.DataFrame, predicted: pd.DataFrame, min_icc: float = 0.75) -> pd.DataFrame:
    """ICC(3,1) of every feature between two wide tables (matched on case_id).

    Returns:
        One row per feature: ``feature``, ``icc``, ``n`` (cases with both values), ``stable``
        (icc >= min_icc), sorted by feature name.
    """
    ref = reference.set_index("case_id")
    pred = predicted.set_index("case_id")
    common = ref.index.intersection(pred.index)
    features = sorted((set(ref.columns) & set(pred.columns)) - set(KEYS))
    rows = []
    for feature in features:
        pair = pd.concat([ref.loc[common, feature], pred.loc[common, feature]], axis=1).dropna().to_numpy(float)
        icc = icc_3_1(pair) if len(pair) else float("nan")
        rows.append({"feature": feature, "icc": icc, "n": len(pair), "stable": bool(icc >= min_icc)})
    return pd.DataFrame(rows, columns=["feature", "icc", "n", "stable"])


def stability_from_records(reference, predicted, manifest: pd.DataFrame, out_csv, min_icc: float = 0.75,
                           out_qc=None) -> pd.DataFrame:
    """Read two sets of per-case radiomics records (reference and predicted masks), write ICC(3,1)
    per feature. Cases without features on either mask (e.g. the U-Net found no ROI) are left out
    of the ICC; ``out_qc`` lists each predicted-mask record's status and reason (``stage`` stability)."""
    from radiodeep.features.tables import collect_case_records
    from radiodeep.io import write_table

    ref, _ = collect_case_records(reference, manifest)
    pred, pred_qc = collect_case_records(predicted, manifest)
    table = feature_stability(ref, pred, min_icc)
    write_table(table, out_csv)
    if out_qc is not None:
        write_table(pred_qc[["case_id", "patient_id", "status", "reason"]], out_qc)
    return table
