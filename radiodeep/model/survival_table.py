"""Bring your own table with a time-to-event outcome (``radiodeep survival``).

Columns: an id, an optional patient (group) column, the time and event columns, optional clinical
columns (numeric, or categorical encoded inside the folds), and numeric imaging feature columns
(the ``handcrafted`` source). Time and event are checked as in a manifest.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from radiodeep.errors import RadiodeepError
from radiodeep.manifest_survival import survival_problems
from radiodeep.model.stage import read_feature_table
from radiodeep.model.survival import CLINICAL
from radiodeep.model.survival_stage import SurvivalSettings, clinical_table, survival_feature_sets

log = logging.getLogger(__name__)


def survival_table(path: str | Path, id_col: str, group: str | None, outdir: str | Path, settings: SurvivalSettings,
                   seed: int = 0, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """Run ``survival_feature_sets`` on one table; outputs as the workflow's, under ``outdir``;
    ``exclude``: columns that are no feature (e.g. a binary label beside time and event)."""
    table = read_feature_table(path).reset_index(drop=True)
    numeric, categorical = list(settings.clinical["numeric"]), list(settings.clinical["categorical"])
    ((time_col, event_col),) = settings.endpoint_columns()
    for col in (id_col, group, time_col, event_col, *numeric, *categorical):
        if col is not None and col not in table.columns:
            raise RadiodeepError(f"{path}: no column {col!r} (columns: {list(table.columns)[:12]} ...)")
    frame = table.astype({time_col: "object", event_col: "object"})
    problems = survival_problems(frame, [(time_col, event_col)], lambda i, c: f"{path}: row {i + 1} (line {i + 2}), column {c}")
    if problems:
        raise RadiodeepError(f"{len(problems)} problem(s) in the time-to-event columns\n  " + "\n  ".join(problems[:20]))
    keys = pd.DataFrame({"case_id": table[id_col].astype(str),
                         "patient_id": table[group].astype(str) if group else table[id_col].astype(str)})
    if keys["case_id"].duplicated().any():
        raise RadiodeepError(f"{path}: duplicated id(s) {sorted(keys.loc[keys['case_id'].duplicated(), 'case_id'])[:10]}")
    manifest = pd.concat([keys, frame[[time_col, event_col]]], axis=1)
    reserved = {id_col, group, time_col, event_col, *numeric, *categorical, *exclude}
    features = [c for c in table.columns if c not in reserved and pd.api.types.is_numeric_dtype(table[c])]
    ignored = [c for c in table.columns if c not in reserved and c not in features]
    if ignored:
        log.warning("non-numeric column(s) left out of the imaging features: %s", ignored[:10])
    sources = {"handcrafted": pd.concat([keys, table[features]], axis=1)} if features else {}
    if numeric or categorical:
        text = table[numeric + categorical].astype("object").where(table[numeric + categorical].notna(), "")
        sources[CLINICAL] = clinical_table(pd.concat([keys, text.astype(str)], axis=1), numeric, categorical)
    if not sources:
        raise RadiodeepError(f"{path}: no feature or clinical columns")
    sets = [*sources] + (["clinical+handcrafted"] if len(sources) == 2 else [])
    settings = SurvivalSettings(**{**vars(settings), "feature_sets": sets})
    log.info("%s: %d rows; sources %s; feature sets %s", path, len(table), {k: v.shape[1] - 2 for k, v in sources.items()}, sets)
    return survival_feature_sets(sources, manifest, outdir, settings, seed)
