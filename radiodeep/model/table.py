"""Bring your own table: model and evaluate any feature table (CSV, CSV.gz, Parquet).

Columns: an id column, an optional patient (group) column, a binary label column, optional
``site`` and ``split`` columns (used as in a manifest), and numeric feature columns. Columns
named ``deep-*`` form the deep source, every other feature column the handcrafted source; with
both, early and late fusion are added.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from radiodeep.errors import RadiodeepError
from radiodeep.model.stage import (
    ModelSettings,
    model_feature_sets,
    read_feature_table,
    table_imaging,
)

log = logging.getLogger(__name__)
META = ("site", "split")


def _lines(mask: pd.Series) -> list[int]:
    """File line numbers (the header is line 1) of the rows where ``mask`` holds."""
    return [int(i) + 2 for i in mask[mask].index[:10]]


def check_keys(table: pd.DataFrame, id_col: str, group: str | None) -> None:
    """Every row needs an id (and a patient when ``--group`` names a column), and ids are unique:
    one line naming the rows, as they are numbered in a CSV file (header = line 1)."""
    for col in (id_col, group):
        if col is None:
            continue
        empty = table[col].isna() | (table[col].astype(str).str.strip() == "")
        if empty.any():
            raise RadiodeepError(f"column {col!r} is empty in {int(empty.sum())} row(s) (lines {_lines(empty)}): "
                                 f"give each row its {'case id' if col == id_col else 'patient'} or delete the row")
    dup = table[id_col].astype(str).duplicated(keep=False)
    if dup.any():
        raise RadiodeepError(f"column {id_col!r} repeats ids in {int(dup.sum())} rows (lines {_lines(dup)}, e.g. "
                             f"{table.loc[dup, id_col].astype(str).iloc[0]!r}): one row per case; name the patient "
                             "column with --group when a patient has several cases")


def table_sources(table: pd.DataFrame, id_col: str, label: str, group: str | None = None,
                  exclude: tuple[str, ...] = ()) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Split one table into feature sources (name -> case_id, patient_id, features) and an outcome
    frame; ``exclude``: columns that are no feature (e.g. time and event beside the label)."""
    for col in (id_col, label, group):
        if col is not None and col not in table.columns:
            raise RadiodeepError(f"column {col!r} not in the table (columns: {list(table.columns)[:10]} ...)")
    check_keys(table, id_col, group)
    keys = pd.DataFrame({"case_id": table[id_col].astype(str),
                         "patient_id": table[group].astype(str) if group else table[id_col].astype(str)})
    labels = pd.to_numeric(table[label], errors="coerce")
    bad = sorted(set(table.loc[labels.notna() & ~labels.isin([0, 1]), label].astype(str)) |
                 set(table.loc[labels.isna() & table[label].notna(), label].astype(str)))
    if bad:
        raise RadiodeepError(f"label column {label!r} must be 0/1 (empty = not modelled); found {bad[:10]}")
    outcome = keys.assign(label=labels.astype("Int64"), **{m: table[m].to_numpy() for m in META if m in table.columns})
    features = [c for c in table.columns if c not in {id_col, label, group, *META, *exclude}]
    deep = [c for c in features if c.startswith("deep-")]
    handcrafted = [c for c in features if not c.startswith("deep-")]
    sources = {name: pd.concat([keys, table[cols].reset_index(drop=True)], axis=1)
               for name, cols in (("handcrafted", handcrafted), ("deep", deep)) if cols}
    if not sources:
        raise RadiodeepError("the table has no feature columns")
    return sources, outcome


def evaluate_table(path: str | Path, label: str, id_col: str, outdir: str | Path, group: str | None = None,
                   settings: ModelSettings | None = None, n_boot: int = 2000, seed: int = 0,
                   exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """Run the model and evaluate stages on one table; outputs as the workflow's under ``outdir``
    (oof_predictions.csv, permutation_null.csv, test_predictions.csv, metrics.csv, delong.csv,
    decision_curve.csv, importance.csv, figures) and final models under ``outdir/models``."""
    from radiodeep.evaluate.stage import run_evaluate

    settings = settings or ModelSettings()
    table = read_feature_table(path)
    sources, outcome = table_sources(table.reset_index(drop=True), id_col, label, group, exclude)
    sets = list(sources) + (["early_fusion", "late_fusion"] if len(sources) == 2 else [])
    settings = ModelSettings(**{**vars(settings), "feature_sets": sets, "fusion_sources": list(sources)})
    log.info("%s: %d rows; sources %s; feature sets %s", path, len(table), {k: v.shape[1] - 2 for k, v in sources.items()}, sets)
    outdir = Path(outdir)
    model_feature_sets(sources, outcome, settings, outdir, outdir / "models", seed=seed, imaging=table_imaging([path]))
    return run_evaluate(outdir / "oof_predictions.csv", outdir, outdir / "permutation_null.csv",
                        outdir / "test_predictions.csv", n_boot=n_boot, seed=seed, importance_path=outdir / "importance.csv")
