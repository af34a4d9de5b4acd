"""The model stage: nested cross-validated out-of-fold predictions, permutation null, external
test predictions and final models for every feature set x classifier.

Feature sets: ``handcrafted``, ``deep`` and ``clinical`` (one source each), ``early_fusion`` and
``late_fusion`` (over ``fusion_sources``, default handcrafted + deep).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from radiodeep.errors import RadiodeepError
from radiodeep.io import write_table
from radiodeep.model.combat import site_outcome_confounding
from radiodeep.model.cv import (
    cross_validated_predictions,
    fit_tuned,
    permutation_null,
    training_threshold,
)
from radiodeep.model.data import KEYS, design_matrix
from radiodeep.model.filters import StabilityFilter
from radiodeep.model.importance import aggregate_importance
from radiodeep.model.persist import MODEL_SUFFIX, save_model
from radiodeep.model.pipelines import BASELINES, build_pipeline
from radiodeep.seeds import seed_everything

log = logging.getLogger(__name__)
SINGLE_SETS = ("handcrafted", "deep", "clinical")
FUSION_SETS = {"early_fusion": "early", "late_fusion": "late"}
OOF_COLUMNS = ["feature_set", "classifier", "repeat", "fold", "case_id", "patient_id", "label", "score", "threshold"]


@dataclasses.dataclass
class ModelSettings:
    """The ``model:`` section of the config (see workflow/schemas/config.schema.yaml)."""

    feature_sets: Sequence[str] = ("handcrafted",)
    classifiers: Sequence[str] = ("auto",)
    fusion_sources: Sequence[str] = ("handcrafted", "deep")
    clinical_columns: Sequence[str] = ()
    folds: int = 5
    repeats: int = 3
    inner_folds: int = 3
    permutations: int = 20
    selection: str = "none"
    n_select: int = 20
    correlation_threshold: float = 0.95
    icc_threshold: float = 0.75
    combat: bool = False
    baselines: bool = True
    n_jobs: int = 1
    folds_planned: bool = False  # folds: auto (the plan's value): fewer for a table whose smaller class needs it

    @classmethod
    def from_config(cls, section: Mapping, n_jobs: int = 1, folds_planned: bool = False) -> ModelSettings:
        """Settings from the config's ``model:`` section (the stability path is passed separately)."""
        return cls(**{k: v for k, v in section.items() if k != "stability"}, n_jobs=n_jobs, folds_planned=folds_planned)

    @property
    def least_folds(self) -> int:
        """The folds :func:`~radiodeep.model.data.design_matrix` must find patients for: 2 when the
        folds were planned (:meth:`for_table` then fits them to the table), else the folds set."""
        return 2 if self.folds_planned else self.folds

    def for_table(self, y: np.ndarray, groups: np.ndarray, name: str) -> ModelSettings:
        """These settings for one modelled table: planned folds lowered to the patients of its
        smaller class (an image that only some cases have: 15 CT cases with 4 positives among 51
        PET cases get 4 folds where the PET set gets 5), logged; folds the user set stay."""
        if not self.folds_planned:
            return self
        smaller = min(len(np.unique(groups[y == c])) for c in (0, 1))
        if smaller >= self.folds:
            return self
        log.info("%s: %d outer folds (planned %d; its smaller class has %d patients)", name, max(2, smaller),
                 self.folds, smaller)
        return dataclasses.replace(self, folds=max(2, smaller))


def read_feature_table(path: str | Path) -> pd.DataFrame:
    """Read a feature table from CSV, CSV.gz or Parquet."""
    path = Path(path)
    if path.name.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path)


def read_icc(path: str | Path | None) -> dict[str, float] | None:
    """feature -> ICC from a stability table (columns feature, icc); None when there is none."""
    if path is None or not Path(path).exists():
        return None
    table = pd.read_csv(path)
    if not {"feature", "icc"} <= set(table.columns):
        raise RadiodeepError(f"{path}: stability table needs columns 'feature' and 'icc', has {list(table.columns)}")
    return dict(zip(table["feature"].astype(str), table["icc"].astype(float), strict=False))


def stable_columns(X: pd.DataFrame, icc: Mapping[str, float], threshold: float) -> list[str]:
    """Columns whose ICC reaches ``threshold`` (columns without an ICC are kept). The filter
    depends on feature names only, never on the cohort's values, so it can precede the folds."""
    kept = list(StabilityFilter(icc, threshold).fit(X.head(2)).get_feature_names_out())
    log.info("stability filter (ICC >= %.2f): %d of %d feature(s) kept", threshold, len(kept), X.shape[1])
    return kept


def join_sources(sources: Mapping[str, pd.DataFrame], names: Sequence[str]) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Inner-join source tables on case_id; return the table and each source's feature columns."""
    missing = [n for n in names if n not in sources]
    if missing:
        raise RadiodeepError(f"feature source(s) {missing} not available (have {sorted(sources)})")
    joined, columns = None, {}
    for name in names:
        table = sources[name]
        columns[name] = [c for c in table.columns if c not in KEYS]
        if joined is None:
            joined = table.drop(columns=[c for c in ("roi",) if c in table.columns])
            continue
        clash = set(columns[name]) & set(joined.columns)
        if clash:
            raise RadiodeepError(f"source {name} repeats column(s) of another source: {sorted(clash)[:10]}")
        before = len(joined)
        joined = joined.merge(table[["case_id", *columns[name]]], on="case_id", how="inner", validate="one_to_one")
        if len(joined) < before:
            log.warning("%d case(s) have no %s features and are left out of this feature set", before - len(joined), name)
    return joined, columns


def set_sources(feature_set: str, settings: ModelSettings) -> tuple[list[str], str]:
    """(sources, fusion kind) of a feature set."""
    if feature_set in SINGLE_SETS or feature_set.startswith(("handcrafted_", "deep_")):  # <source>_<image_name>
        return [feature_set], "none"
    if feature_set in FUSION_SETS:
        return list(settings.fusion_sources), FUSION_SETS[feature_set]
    raise RadiodeepError(f"unknown feature set {feature_set!r}; available: {SINGLE_SETS + tuple(FUSION_SETS)}")


def _split_ids(outcome: pd.DataFrame) -> tuple[set[str] | None, set[str]]:
    if "split" not in outcome or outcome["split"].isna().all():
        return None, set()
    split = outcome["split"].astype(str).str.lower()
    bad = sorted(set(split[outcome["split"].notna()]) - {"train", "test"})
    if bad:
        raise RadiodeepError(f"manifest column split has value(s) {bad}; use train or test")
    return set(outcome.loc[split == "train", "case_id"]), set(outcome.loc[split == "test", "case_id"])


def model_feature_sets(sources: Mapping[str, pd.DataFrame], outcome: pd.DataFrame, settings: ModelSettings,
                       outdir: str | Path, models_dir: str | Path, icc: Mapping[str, float] | None = None,
                       seed: int = 0, provenance: str = "", imaging: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Run every feature set x classifier (and, with ``settings.baselines``, the plain baselines on
    the same outer folds); write oof_predictions.csv, permutation_null.csv, test_predictions.csv
    and importance.csv to ``outdir`` and ``<set>-<classifier>.skops`` to ``models_dir``.
    ``imaging`` (modality, preset hash, radiomics mode of the feature tables) is saved with each
    model, so that ``radiodeep predict`` can say when a table comes from other images."""
    seed_everything(seed)
    link = {"provenance": provenance} if provenance else {}
    outdir, models_dir = Path(outdir), Path(models_dir)
    train_ids, test_ids = _split_ids(outcome)
    if train_ids is not None:
        log.info("manifest split: %d train, %d test case(s); CV on train, test scored once", len(train_ids), len(test_ids))
    site = outcome.set_index("case_id")["site"].astype(str) if settings.combat else None
    if settings.combat and "site" not in outcome:
        raise RadiodeepError("model.combat is on but the manifest has no 'site' column")
    oofs, nulls, tests, importances = [], [], [], []
    for feature_set in settings.feature_sets:
        names, fusion = set_sources(feature_set, settings)
        table, columns = join_sources(sources, names)
        train = table if train_ids is None else table[table["case_id"].isin(train_ids)]
        X, y, groups, ids = design_matrix(train, outcome, settings.least_folds)
        fitted = settings.for_table(y, groups, feature_set)
        if icc is not None:
            X = X[stable_columns(X, icc, settings.icc_threshold)]
        source_cols = {n: [c for c in cols if c in X.columns] for n, cols in columns.items()}
        if settings.combat:
            X["site"] = site.loc[ids].to_numpy()
            site_outcome_confounding(X["site"].to_numpy(), y)
        for clf in settings.classifiers:
            log.info("%s (%d cases, %d features) / %s", feature_set, len(y), X.shape[1], clf)
            make_model = functools.partial(
                build_pipeline, clf, seed, sources=source_cols, fusion=fusion, selection=settings.selection,
                n_select=settings.n_select, correlation_threshold=settings.correlation_threshold,
                combat=settings.combat, inner_folds=settings.inner_folds, pandas_output=False)
            args = (X, y, groups, ids, make_model)
            oof, importance = cross_validated_predictions(*args, n_splits=fitted.folds, n_repeats=settings.repeats,
                                                          inner_splits=settings.inner_folds, seed=seed,
                                                          n_jobs=settings.n_jobs, importance=True)
            oofs.append(oof.assign(feature_set=feature_set, classifier=clf))
            importances.append(importance.assign(feature_set=feature_set, classifier=clf))
            null = permutation_null(*args, n_permutations=settings.permutations, n_splits=fitted.folds,
                                    inner_splits=settings.inner_folds, seed=seed, n_jobs=settings.n_jobs)
            nulls.append(pd.DataFrame({"feature_set": feature_set, "classifier": clf,
                                       "permutation": np.arange(len(null)), "auc": null}))
            model, threshold = final_model(functools.partial(make_model, pandas_output=True), X, y, groups, settings.inner_folds, seed)
            bundle = {"model": model, "features": list(X.columns), "threshold": threshold, "feature_set": feature_set,
                      "classifier": clf, "sources": source_cols, "n_train": len(y), "provenance": provenance,
                      "imaging": dict(imaging or {})}
            save_model(bundle, models_dir / f"{feature_set}-{clf}{MODEL_SUFFIX}")
            if test_ids:
                test_rows = table[table["case_id"].isin(test_ids)]
                if settings.combat:
                    test_rows = test_rows.assign(site=site.loc[test_rows["case_id"]].to_numpy())
                pred = predict_table(bundle, test_rows).merge(outcome[["case_id", "label"]], on="case_id")
                tests.append(pred.dropna(subset=["label"]).assign(feature_set=feature_set, classifier=clf))
        if settings.baselines and fusion != "late":  # late fusion's baselines are early fusion's
            for clf in [b for b in BASELINES if b not in settings.classifiers]:
                oof, importance = baseline_predictions(clf, X, y, groups, ids, fitted, seed)
                oofs.append(oof.assign(feature_set=feature_set, classifier=clf))
                importances.append(importance.assign(feature_set=feature_set, classifier=clf))
    result = pd.concat(oofs, ignore_index=True)[OOF_COLUMNS]
    write_table(result, outdir / "oof_predictions.csv", **link)
    write_table(pd.concat(nulls, ignore_index=True), outdir / "permutation_null.csv", **link)
    write_table(aggregate_importance(pd.concat(importances, ignore_index=True)), outdir / "importance.csv", **link)
    test_cols = ["feature_set", "classifier", "case_id", "patient_id", "label", "score", "threshold"]
    write_table(pd.concat(tests, ignore_index=True)[test_cols] if tests else pd.DataFrame(columns=test_cols),
                outdir / "test_predictions.csv", **link)
    return result


def baseline_predictions(classifier: str, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, ids: pd.Series,
                         settings: ModelSettings, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Out-of-fold predictions and importances of a plain baseline on the same outer folds as the
    configured classifiers (same seed, same splits); no permutation null, no saved model."""
    log.info("baseline %s", classifier)
    make_model = functools.partial(build_pipeline, classifier, seed, combat=settings.combat,
                                   inner_folds=settings.inner_folds, pandas_output=False)
    return cross_validated_predictions(X, y, groups, ids, make_model, n_splits=settings.folds, n_repeats=settings.repeats,
                                       inner_splits=settings.inner_folds, seed=seed, n_jobs=settings.n_jobs, importance=True)


def final_model(make_model, X: pd.DataFrame, y: np.ndarray, groups: np.ndarray, inner_folds: int, seed: int):
    """Refit on all training data (tuned by the inner CV); threshold as in ``training_threshold``."""
    pipeline, grid = make_model()
    model = fit_tuned(pipeline, grid, X, y, groups, inner_folds, seed)
    return model, training_threshold(model, X, y, groups, inner_folds, seed)


def predict_table(bundle: Mapping, table: pd.DataFrame) -> pd.DataFrame:
    """Apply a saved model to a feature table; a clear error lists the columns it lacks."""
    missing = [c for c in bundle["features"] if c not in table.columns]
    if missing:
        raise RadiodeepError(f"the table lacks {len(missing)} of the model's {len(bundle['features'])} feature columns "
                             f"(first: {missing[:10]}); extract features with the model's settings")
    score = bundle["model"].predict_proba(table[bundle["features"]])[:, 1]
    out = table[[c for c in ("case_id", "patient_id") if c in table.columns]].reset_index(drop=True)
    return out.assign(score=score, threshold=bundle["threshold"], predicted=(score >= bundle["threshold"]).astype(int))


def run_model(feature_tables: Mapping[str, str | Path], manifest: pd.DataFrame, outdir: str | Path,
              models_dir: str | Path, settings: ModelSettings, stability: str | Path | None = None,
              seed: int = 0, provenance: str = "") -> pd.DataFrame:
    """Workflow entry: read the source tables (name -> path), take clinical columns from the
    manifest, and run ``model_feature_sets``; ``provenance`` (the run's provenance hash) is
    recorded in the outputs' metadata and in each saved model."""
    sources = {name: read_feature_table(path) for name, path in feature_tables.items()}
    if settings.clinical_columns:
        absent = [c for c in settings.clinical_columns if c not in manifest.columns]
        if absent:
            raise RadiodeepError(f"model.clinical_columns {absent} are not manifest columns")
        sources["clinical"] = manifest[["case_id", "patient_id", *settings.clinical_columns]]
    imaging = table_imaging(feature_tables.values())
    return model_feature_sets(sources, manifest, settings, outdir, models_dir, read_icc(stability), seed, provenance,
                              imaging)


IMAGING_KEYS = ("modality", "preset_hash", "radiomics_mode")


def table_imaging(paths) -> dict[str, str]:
    """What images a feature table was extracted from (its metadata: modality, preset hash,
    radiomics mode), merged over ``paths``; keys a table does not record are left out."""
    from radiodeep.io import read_table_metadata

    found: dict[str, set[str]] = {}
    for path in paths:
        for key, value in read_table_metadata(path).items():
            key = key.removeprefix("radiodeep.")
            if key in IMAGING_KEYS and value:
                found.setdefault(key, set()).add(value)
    return {k: ",".join(sorted(v)) for k, v in found.items()}


def imaging_mismatch(trained: Mapping[str, str], table: Mapping[str, str]) -> list[str]:
    """Plain-words lines for each imaging key the model and a new table both record but differ on."""
    what = {"modality": "modality", "preset_hash": "radiomics preset (hash)", "radiomics_mode": "radiomics mode"}
    return [f"the model was trained on {what[k]} {trained[k]} but the table records {table[k]}: "
            "features of other images or settings are on other scales; predictions are unlikely to transfer"
            for k in IMAGING_KEYS if trained.get(k) and table.get(k) and trained[k] != table[k]]
