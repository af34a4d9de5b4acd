"""Several images per case: the ablation table. Each image alone (``handcrafted_<image_name>``),
the images fused (``early_fusion``, ``late_fusion``, ``handcrafted``: every image's features in
one model), clinical alone and clinical + imaging (``radiodeep.model.clinical_ablation``), each
with its AUC and patient-bootstrap CI, and against the best single image: the paired DeLong
test and the AUC difference with a paired patient-bootstrap CI, on the cases both sets share.

The best single image is the one with the highest out-of-fold AUC (per classifier): choosing it
on the same predictions favours the reference, so a fused set that beats it is not flattered.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from radiodeep.evaluate.metrics import mean_oof_scores, summarise_predictions
from radiodeep.io import write_table
from radiodeep.model.clinical_ablation import compare

COLUMNS = ["classifier", "feature_set", "kind", "n", "n_pos", "auc", "auc_ci_low", "auc_ci_high", "reference",
           "delta_auc", "delta_ci_low", "delta_ci_high", "delong_z", "delong_p"]


def _kind(name: str, images: Sequence[str]) -> str:
    if name in images:
        return "image"
    if name.startswith("clinical"):
        return "clinical" if name == "clinical" else "clinical+imaging"
    return "fused images"


def image_ablation(oof: pd.DataFrame, images: Sequence[str], clinical_oof: pd.DataFrame | None = None,
                   n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """The ablation table from the model stage's out-of-fold predictions (``oof``: feature_set,
    classifier, repeat, case_id, patient_id, label, score) and, optionally, the clinical
    ablation's (its ``clinical*`` sets are added)."""
    frames = [oof]
    if clinical_oof is not None:
        frames.append(clinical_oof[clinical_oof["feature_set"].str.startswith("clinical")])
    oof = pd.concat(frames, ignore_index=True)
    rows = []
    for clf, by_clf in oof.groupby("classifier", sort=False):
        sets = {name: g for name, g in by_clf.groupby("feature_set", sort=False)}
        summary = {name: summarise_predictions(g, n_boot, seed) for name, g in sets.items()}
        singles = [name for name in images if name in sets]
        best = max(singles, key=lambda name: summary[name]["auc"]) if singles else None
        per_case = {name: mean_oof_scores(g) for name, g in sets.items()}
        for name in sets:
            row = {"classifier": clf, "feature_set": name, "kind": _kind(name, images),
                   **{k: summary[name][k] for k in ("n", "n_pos", "auc", "auc_ci_low", "auc_ci_high")}}
            if best is not None and name != best:
                d = compare(per_case, [(name, best)], clf, n_boot, seed)[0]
                row.update(reference=best, **{k: d[k] for k in ("delta_auc", "delta_ci_low", "delta_ci_high",
                                                                 "delong_z", "delong_p")})
            elif name == best:
                row["reference"] = "best single image"
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def run_image_ablation(oof_csv: str | Path, images: Sequence[str], out: str | Path, clinical_oof_csv: str | Path | None = None,
                       n_boot: int = 2000, seed: int = 0, provenance: str = "") -> pd.DataFrame:
    """Workflow entry: read the OOF tables, write ``image_ablation.csv``."""
    clinical = pd.read_csv(clinical_oof_csv, dtype={"case_id": str, "patient_id": str}) if clinical_oof_csv else None
    table = image_ablation(pd.read_csv(oof_csv, dtype={"case_id": str, "patient_id": str}), images, clinical, n_boot, seed)
    write_table(table, out, **({"provenance": provenance} if provenance else {}))
    return table
