"""Clinical covariates against imaging for the binary outcome: clinical alone, imaging alone,
clinical + imaging, each in the model stage's nested patient-grouped CV
(``radiodeep.model.cv.cross_validated_predictions``), compared pairwise with the paired DeLong
test and the AUC difference with a paired patient-bootstrap CI (the incremental value of imaging
is ``clinical+handcrafted`` minus ``clinical``).

Pipelines: imaging alone is the model stage's ``build_pipeline`` (same filters, selection and
classifier). Clinical: ``ClinicalEncoder`` (categories one-hot encoded on the training folds)
-> the per-source filters and scaling -> classifier, no selection. Clinical + imaging: the two
branches side by side, selection in the imaging branch only (the clinical covariates are always
in the model), one classifier.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from radiodeep.errors import RadiodeepError
from radiodeep.evaluate.delong import delong_test
from radiodeep.evaluate.metrics import mean_oof_scores, rank_auc, summarise_predictions
from radiodeep.io import write_table
from radiodeep.model.clinical import ClinicalEncoder
from radiodeep.model.cv import cross_validated_predictions
from radiodeep.model.data import design_matrix
from radiodeep.model.pipelines import (
    build_pipeline,
    make_classifier,
    make_selector,
    preprocessing_steps,
)
from radiodeep.model.stage import ModelSettings, join_sources

log = logging.getLogger(__name__)
CLINICAL = "clinical"
COMPARISON_COLUMNS = ["classifier", "model_a", "model_b", "n", "auc_a", "auc_b", "delta_auc", "delta_ci_low",
                      "delta_ci_high", "delong_z", "delong_p"]


def clinical_pipeline(columns: Mapping[str, Sequence[str]], categorical: Sequence[str], classifier: str, seed: int,
                      settings: ModelSettings):
    """(pipeline, grid) for a feature set holding the clinical source (alone or with imaging sources)."""
    clf, clf_grid = make_classifier(classifier, seed)
    pre = {"correlation_threshold": settings.correlation_threshold}
    encode = [("encode", ClinicalEncoder(categorical=[c for c in categorical if c in columns[CLINICAL]]))]
    branches = [(CLINICAL, Pipeline(encode + preprocessing_steps(**pre)), list(columns[CLINICAL]))]
    for name, cols in columns.items():
        if name != CLINICAL:
            selector = make_selector(settings.selection, settings.n_select, seed)
            branches.append((name, Pipeline(preprocessing_steps(**pre) + ([("select", selector)] if selector else [])), list(cols)))
    pipe = Pipeline([("preprocess", ColumnTransformer(branches, verbose_feature_names_out=False)), ("clf", clf)])
    return pipe, {f"clf__{k}": v for k, v in clf_grid.items()}


def paired_delta_auc(y: np.ndarray, a: np.ndarray, b: np.ndarray, groups: np.ndarray, n_boot: int = 2000, seed: int = 0,
                     alpha: float = 0.05) -> tuple[float, float, float]:
    """AUC(a) - AUC(b) on the same cases, with a percentile CI from one bootstrap of patients
    shared by both scores (so their correlation is kept)."""
    y, a, b = np.asarray(y), np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    uniq, inverse = np.unique(np.asarray(groups), return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(n_boot):
        idx = np.concatenate([members[g] for g in rng.integers(0, len(uniq), len(uniq))])
        if y[idx].min() != y[idx].max():
            stats.append(rank_auc(y[idx], a[idx]) - rank_auc(y[idx], b[idx]))
    low, high = np.quantile(stats, [alpha / 2, 1 - alpha / 2])
    return rank_auc(y, a) - rank_auc(y, b), float(low), float(high)


def compare(per_case: Mapping[str, pd.DataFrame], pairs: Sequence[tuple[str, str]], classifier: str, n_boot: int,
            seed: int) -> list[dict]:
    rows = []
    for a, b in pairs:
        both = per_case[a].merge(per_case[b][["case_id", "score"]], on="case_id", suffixes=("_a", "_b"))
        y, groups = both["label"].to_numpy(), both["patient_id"].to_numpy()
        d = delong_test(y, both["score_a"].to_numpy(), both["score_b"].to_numpy())
        delta, low, high = paired_delta_auc(y, both["score_a"], both["score_b"], groups, n_boot, seed)
        rows.append({"classifier": classifier, "model_a": a, "model_b": b, "n": len(both), "auc_a": d["auc_a"],
                     "auc_b": d["auc_b"], "delta_auc": delta, "delta_ci_low": low, "delta_ci_high": high,
                     "delong_z": d["z"], "delong_p": d["p"]})
    return rows


def run_clinical_ablation(sources: Mapping[str, pd.DataFrame], outcome: pd.DataFrame, categorical: Sequence[str],
                          imaging: str, outdir: str | Path, settings: ModelSettings, n_boot: int = 2000, seed: int = 0,
                          **link: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run clinical, ``imaging`` and clinical+``imaging`` on the cases all three have; write
    clinical_ablation.csv (AUC with CI per set), clinical_ablation_delta.csv (pairs) and
    clinical_ablation_oof.csv to ``outdir``."""
    both = f"{CLINICAL}+{imaging}"
    table, columns = join_sources(sources, [CLINICAL, imaging])  # the same cases in every set
    clinical_cols = columns[CLINICAL]
    numeric = table.drop(columns=[c for c in categorical if c in table.columns])
    _, y, groups, ids = design_matrix(numeric, outcome, settings.least_folds)  # checks outcome and numeric columns
    settings = settings.for_table(y, groups, f"ablation {both}")
    X = table.set_index("case_id").loc[ids, clinical_cols + columns[imaging]].reset_index(drop=True)
    sets = {CLINICAL: {CLINICAL: clinical_cols}, imaging: {imaging: columns[imaging]}, both: columns}
    metrics, deltas, oofs = [], [], []
    for clf in settings.classifiers:
        per_case = {}
        for name, cols in sets.items():
            if name == imaging:
                make = functools.partial(build_pipeline, clf, seed, selection=settings.selection, n_select=settings.n_select,
                                         correlation_threshold=settings.correlation_threshold, pandas_output=False)
            else:
                make = functools.partial(clinical_pipeline, cols, categorical, clf, seed, settings)
            Xs = X[[c for src in cols.values() for c in src]]
            log.info("ablation %s / %s: %d cases, %d columns", name, clf, len(y), Xs.shape[1])
            oof = cross_validated_predictions(Xs, y, groups, ids, make, n_splits=settings.folds, n_repeats=settings.repeats,
                                              inner_splits=settings.inner_folds, seed=seed, n_jobs=settings.n_jobs)
            oofs.append(oof.assign(feature_set=name, classifier=clf))
            metrics.append({"feature_set": name, "classifier": clf, **summarise_predictions(oof, n_boot, seed)})
            per_case[name] = mean_oof_scores(oof)
        deltas += compare(per_case, [(both, CLINICAL), (both, imaging), (imaging, CLINICAL)], clf, n_boot, seed)
    outdir = Path(outdir)
    metrics, deltas = pd.DataFrame(metrics), pd.DataFrame(deltas, columns=COMPARISON_COLUMNS)
    write_table(metrics, outdir / "clinical_ablation.csv", **link)
    write_table(deltas, outdir / "clinical_ablation_delta.csv", **link)
    write_table(pd.concat(oofs, ignore_index=True), outdir / "clinical_ablation_oof.csv", **link)
    return metrics, deltas


def run_ablation(table: str | Path, manifest: pd.DataFrame, clinical: Mapping[str, Sequence[str]], outdir: str | Path,
                 settings: ModelSettings, n_boot: int = 2000, seed: int = 0, provenance: str = "") -> pd.DataFrame:
    """Workflow entry: the handcrafted table against the manifest's clinical columns
    (``clinical``: ``numeric`` and ``categorical`` lists); returns the comparison table."""
    from radiodeep.model.stage import read_feature_table
    from radiodeep.model.survival_stage import clinical_table

    numeric, categorical = list(clinical.get("numeric", [])), list(clinical.get("categorical", []))
    if not numeric and not categorical:
        raise RadiodeepError("survival.ablation needs clinical columns (survival.clinical.numeric / categorical)")
    sources = {"handcrafted": read_feature_table(table), CLINICAL: clinical_table(manifest, numeric, categorical)}
    link = {"provenance": provenance} if provenance else {}
    return run_clinical_ablation(sources, manifest, categorical, "handcrafted", outdir, settings, n_boot, seed, **link)[1]
