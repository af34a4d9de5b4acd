"""The survival stage: for every time-to-event endpoint x feature set, penalised Cox models in
nested patient-grouped CV, a permutation null, a final model's coefficients, and the evaluation.

Feature sets are sources joined by ``+``: ``handcrafted`` (the radiomics table), ``deep``,
``clinical`` (manifest columns named in ``survival.clinical``), e.g. ``clinical+handcrafted``.
Outputs (``outdir``): survival_oof_risk.csv, survival_null.csv, survival_coefficients.csv and
those of ``run_survival_evaluate`` (survival_metrics.csv, survival_km.csv|png|svg).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from radiodeep.errors import RadiodeepError
from radiodeep.evaluate.survival import run_survival_evaluate
from radiodeep.io import write_table
from radiodeep.model.stage import join_sources, read_feature_table
from radiodeep.model.survival import CLINICAL, fit_tuned_cox, surv, survival_pipeline
from radiodeep.model.survival_cv import cross_validated_risk, survival_permutation_null
from radiodeep.seeds import seed_everything

log = logging.getLogger(__name__)


@dataclass
class SurvivalSettings:
    """The config's ``survival:`` section (see workflow/schemas/config.schema.yaml)."""

    endpoints: dict = field(default_factory=dict)
    feature_sets: list = field(default_factory=lambda: ["handcrafted"])
    clinical: dict = field(default_factory=lambda: {"numeric": [], "categorical": []})
    horizons: list = field(default_factory=lambda: [365, 730])
    time_unit: str = "days"
    folds: int = 5
    repeats: int = 3
    inner_folds: int = 3
    permutations: int = 20
    n_select: int = 10
    l1_ratio: float = 0.5
    correlation_threshold: float = 0.95
    n_bootstrap: int = 1000
    ablation: bool = False
    n_jobs: int = 1

    @classmethod
    def from_config(cls, section: Mapping, n_jobs: int = 1) -> SurvivalSettings:
        return cls(**dict(section), n_jobs=n_jobs)

    def endpoint_columns(self) -> list[tuple[str, str]]:
        return [(e["time"], e["event"]) for e in self.endpoints.values()]


def clinical_table(manifest: pd.DataFrame, numeric, categorical) -> pd.DataFrame:
    """case_id, patient_id and the clinical columns of a manifest read as text: numeric columns as
    float (a clear error names the row and column of a text value), empty categorical cells missing."""
    absent = [c for c in [*numeric, *categorical] if c not in manifest.columns]
    if absent:
        raise RadiodeepError(f"clinical column(s) {absent} are not manifest columns (have {list(manifest.columns)})")
    out = manifest[["case_id", "patient_id"]].copy()
    for col in numeric:
        text = manifest[col].astype("object").where(manifest[col].astype(str).str.strip() != "")
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() & text.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise RadiodeepError(f"manifest row {i + 1} (case_id {manifest['case_id'].iloc[i]!r}), column {col}: "
                                 f"{text.iloc[i]!r} is not a number; list the column under survival.clinical.categorical "
                                 f"if it is a category ({int(bad.sum())} such row(s))")
        out[col] = values.astype(float)
    for col in categorical:
        text = manifest[col].astype("object")
        out[col] = text.where(text.astype(str).str.strip() != "")
    return out


def survival_outcome(manifest: pd.DataFrame, time_col: str, event_col: str) -> pd.DataFrame:
    """case_id, patient_id, time, event of the cases that have the endpoint (others logged)."""
    out = manifest[["case_id", "patient_id"]].assign(time=pd.to_numeric(manifest[time_col]),
                                                      event=pd.to_numeric(manifest[event_col]))
    missing = out["time"].isna() | out["event"].isna()
    if missing.any():
        log.info("%d case(s) without %s/%s left out of this endpoint: %s", int(missing.sum()), time_col, event_col,
                 list(out.loc[missing, "case_id"])[:20])
    return out.loc[~missing].reset_index(drop=True)


def survival_design(table: pd.DataFrame, outcome: pd.DataFrame, folds: int):
    """X, structured y, groups and case ids of the cases with both features and the endpoint."""
    merged = table.merge(outcome[["case_id", "time", "event"]], on="case_id", how="inner", validate="one_to_one")
    y = surv(merged["time"], merged["event"].astype(int))
    groups = merged["patient_id"].astype(str).to_numpy()
    for flag, what in ((True, "events"), (False, "censored cases")):
        n = len(np.unique(groups[y["event"] == flag]))
        if n < folds:
            raise RadiodeepError(f"only {n} patient(s) with {what} for this endpoint, fewer than the {folds} folds; "
                                 "lower survival.folds")
    X = merged.drop(columns=[c for c in ("case_id", "patient_id", "roi", "time", "event") if c in merged.columns])
    return X.reset_index(drop=True), y, groups, merged["case_id"].reset_index(drop=True)


def run_survival(feature_tables: Mapping[str, str | Path], manifest: pd.DataFrame, outdir: str | Path,
                 settings: SurvivalSettings, seed: int = 0, provenance: str = "") -> pd.DataFrame:
    """Workflow entry: read the source tables (name -> path), take the clinical columns from
    ``manifest`` (as ``read_manifest(..., survival=settings.endpoint_columns())`` returns it) and
    run ``survival_feature_sets``."""
    sources = {name: read_feature_table(path) for name, path in feature_tables.items()}
    numeric, categorical = list(settings.clinical.get("numeric", [])), list(settings.clinical.get("categorical", []))
    if numeric or categorical:
        sources[CLINICAL] = clinical_table(manifest, numeric, categorical)
    return survival_feature_sets(sources, manifest, outdir, settings, seed, provenance)


def survival_feature_sets(sources: Mapping[str, pd.DataFrame], manifest: pd.DataFrame, outdir: str | Path,
                          settings: SurvivalSettings, seed: int = 0, provenance: str = "") -> pd.DataFrame:
    """Every endpoint x feature set; ``manifest`` holds case_id, patient_id and the endpoints'
    columns (numeric); returns the survival metrics table."""
    seed_everything(seed)
    link = {"provenance": provenance} if provenance else {}
    categorical = list(settings.clinical.get("categorical", []))
    oofs, nulls, coefs = [], [], []
    for endpoint, cols in settings.endpoints.items():
        outcome = survival_outcome(manifest, cols["time"], cols["event"])
        for feature_set in settings.feature_sets:
            table, columns = join_sources(sources, feature_set.split("+"))
            X, y, groups, ids = survival_design(table, outcome, settings.folds)
            log.info("%s / %s: %d cases, %d events, %d columns", endpoint, feature_set, len(y), int(y["event"].sum()), X.shape[1])
            make_model = functools.partial(survival_pipeline, columns, categorical, settings.n_select, settings.l1_ratio,
                                           settings.correlation_threshold)
            cv = {"n_splits": settings.folds, "inner_splits": settings.inner_folds, "seed": seed, "n_jobs": settings.n_jobs}
            oof = cross_validated_risk(X, y, groups, ids, make_model, n_repeats=settings.repeats, **cv)
            keys = {"endpoint": endpoint, "feature_set": feature_set, "model": "coxnet"}
            oofs.append(oof.assign(**keys))
            null = survival_permutation_null(X, y, groups, make_model, settings.permutations, **cv)
            nulls.append(pd.DataFrame({**keys, "permutation": np.arange(len(null)), "c_index": null}))
            final = fit_tuned_cox(make_model(), X, y, groups, settings.inner_folds, seed)
            coef = final[-1].coef_[:, -1]
            names = final[:-1].get_feature_names_out()
            coefs.append(pd.DataFrame({**keys, "feature": names, "coefficient": coef, "alpha": final[-1].alphas_[-1]}))
    if not oofs:
        raise RadiodeepError("survival: no endpoint configured (survival.endpoints)")
    outdir = Path(outdir)
    oof = pd.concat(oofs, ignore_index=True)
    null = pd.concat(nulls, ignore_index=True)
    write_table(oof, outdir / "survival_oof_risk.csv", **link)
    write_table(null, outdir / "survival_null.csv", **link)
    write_table(pd.concat(coefs, ignore_index=True), outdir / "survival_coefficients.csv", **link)
    return run_survival_evaluate(oof, null, outdir, settings.horizons, settings.n_bootstrap, seed, settings.time_unit, **link)
