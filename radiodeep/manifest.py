"""The cohort manifest: read, resolve paths, validate, with errors that name row and column.

A manifest is a CSV with ``case_id``, ``patient_id`` (optional, defaults to case_id),
``image``, optional ``mask``/``roi``/``series_uid``/``site``/``split``, an outcome column
(name configurable) and any further clinical columns. Relative paths resolve against the
manifest's folder.

Example:
    >>> df = read_manifest("data/sts_pet/manifest.csv", label="label")  # doctest: +SKIP
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pandas as pd

from radiodeep.errors import ManifestError
from radiodeep.manifest_images import ROW_COLUMNS, expand_units, image_problems, is_multi_image
from radiodeep.manifest_survival import survival_problems

KEY_COLUMNS = ["case_id", "patient_id"]
PATH_COLUMNS = ["image", "mask"]
_POSITIVE = {"1", "1.0", "true", "yes", "y", "pos", "positive"}
_NEGATIVE = {"0", "0.0", "false", "no", "n", "neg", "negative"}


def row_schema() -> dict:
    """The JSON schema of one manifest row (shipped with the package)."""
    text = resources.files("radiodeep").joinpath("schemas/manifest.schema.json").read_text()
    return json.loads(text)


def _coerce_label(value: str) -> int | None:
    v = value.strip().lower()
    if v == "" or v == "nan":
        return None
    if v in _POSITIVE:
        return 1
    if v in _NEGATIVE:
        return 0
    raise ValueError(value)


def read_manifest(
    path: str | Path,
    label: str | None = "label",
    check_files: bool = True,
    survival: tuple[tuple[str, str], ...] | list = (),
) -> pd.DataFrame:
    """Read and validate a manifest; return it with absolute paths and a 0/1 ``label`` column.

    Args:
        path: the manifest CSV.
        label: name of the outcome column (copied to ``label`` as 0/1 integers, missing as <NA>);
            None when the cohort has no outcome.
        check_files: check that every image and mask exists.
        survival: (time, event) column pairs checked and converted by
            ``radiodeep.manifest_survival.survival_problems``.

    Raises:
        ManifestError: listing every problem as ``row N (line L), column C: problem``.
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"manifest {path}: file not found")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.columns = [c.strip() for c in df.columns]
    base = path.resolve().parent
    problems: list[str] = []

    def where(i: int, col: str) -> str:
        cid = df.at[i, "case_id"] if "case_id" in df.columns else "?"
        return f"{path}: row {i + 1} (line {i + 2}, case_id {cid!r}), column {col}"

    missing_cols = [c for c in ("case_id", "image") if c not in df.columns]
    if label is not None and label not in df.columns:
        missing_cols.append(label)
    if missing_cols:
        hint = ""
        if len(df.columns) == 1 and any(sep in df.columns[0] for sep in (";", "\t")):
            sep = "semicolons" if ";" in df.columns[0] else "tabs"
            hint = f" (the header is split by {sep}: save the file comma-separated, e.g. from Excel as 'CSV UTF-8')"
        raise ManifestError(
            f"manifest {path}: missing column(s) {', '.join(missing_cols)}; columns present: {', '.join(df.columns)}{hint}"
        )
    if df.empty:
        raise ManifestError(f"manifest {path}: no rows")
    if "patient_id" not in df.columns:
        df.insert(1, "patient_id", df["case_id"])
    df["patient_id"] = df["patient_id"].where(df["patient_id"].str.strip() != "", df["case_id"])

    schema = row_schema()
    validator, properties = jsonschema.Draft202012Validator(schema), schema["properties"]
    for i, row in zip(df.index, df.to_dict("records"), strict=True):  # iterrows: ~1 s at 1,000 rows, as the workflow parses
        record = {k: v for k, v in row.items() if k in properties and (v != "" or k in ("case_id", "image"))}
        for err in validator.iter_errors(record):
            col = err.path[0] if err.path else (err.validator_value[0] if err.validator == "required" else "?")
            msg = err.message
            if col == "case_id":
                msg = f"unsafe id {row['case_id']!r}: use letters, digits, '.', '_' and '-' only (no path separators or '..')"
            problems.append(f"{where(i, col)}: {msg}")

    # several images per case: duplicates are per (case_id, image_name), checked there
    dup = df["case_id"][df["case_id"].duplicated(keep=False) & (not is_multi_image(df))]
    if is_multi_image(df):
        problems += image_problems(df, where)
    for i in dup.index:
        first = df.index[df["case_id"] == df.at[i, "case_id"]][0]
        if i != first:
            problems.append(f"{where(i, 'case_id')}: duplicate case_id (first at row {first + 1})")

    for col in PATH_COLUMNS:
        if col not in df.columns:
            continue
        resolved = []
        for i, value in df[col].items():
            if value.strip() == "":
                resolved.append("")
                continue
            p = Path(value)
            p = p if p.is_absolute() else base / p
            if check_files and not p.exists():
                problems.append(f"{where(i, col)}: {col} not found: {p}")
            resolved.append(str(p))
        df[col] = resolved
    if "mask" not in df.columns:
        df["mask"] = ""

    if label is not None:
        coded = []
        for i, value in df[label].items():
            try:
                coded.append(_coerce_label(value))
            except ValueError:
                coded.append(None)
                problems.append(f"{where(i, label)}: label {value!r} is not binary (use 0/1)")
        if label != "label" and "label" in df.columns:
            problems.append(f"{path}: column 'label' exists besides the outcome column {label!r}; rename one")
        df["label"] = pd.array(coded, dtype="Int64")
        if not problems and df["label"].dropna().nunique() < 2:
            problems.append(f"{path}, column {label}: the outcome has a single class ({sorted(df['label'].dropna().unique())}); two are needed")

    problems += survival_problems(df, survival, where)
    if problems:
        raise ManifestError(f"manifest {path}: {len(problems)} problem(s)\n  " + "\n  ".join(problems))
    return (expand_units(df) if is_multi_image(df) else df).reset_index(drop=True)


def covariate_columns(df: pd.DataFrame, label: str | None = "label") -> list[str]:
    """Columns that are neither keys, paths, options nor the outcome: clinical covariates."""
    reserved = set(KEY_COLUMNS + PATH_COLUMNS + ["roi", "series_uid", "site", "split", "label"])
    if is_multi_image(df):
        reserved |= set(ROW_COLUMNS) | {"parent_id"}
    if label:
        reserved.add(label)
    return [c for c in df.columns if c not in reserved]


def outcome_problems(df: pd.DataFrame, folds: int, label: str = "label") -> tuple[list[str], list[str]]:
    """(warnings, errors) about the outcome before any job: rows without a label (not modelled),
    and classes with fewer patients than the outer CV's ``folds`` (stratified folds need at least
    one patient of each class in every fold; ``model.folds`` then has to come down)."""
    warnings, errors = [], []
    missing = df.loc[df["label"].isna(), "case_id"].tolist()
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        warnings.append(f"{len(missing)} case(s) without a value in column {label!r} are processed but not modelled: {shown}")
    labelled = df[df["label"].notna()]
    for value, name in ((1, "positive"), (0, "negative")):
        n = labelled.loc[labelled["label"] == value, "patient_id"].nunique()
        if n == 1:
            errors.append(f"column {label!r}: a single {name} patient cannot be cross-validated; add cases")
        elif 0 < n < folds:
            errors.append(f"column {label!r}: {n} {name} patient(s) cannot fill {folds} cross-validation folds; "
                          f"set model.folds to {max(2, n)} or fewer, or add cases")
    return warnings, errors


def planned_folds(df: pd.DataFrame, folds, default: int = 5) -> tuple[int, str, str]:
    """(outer folds, "planned"|"set", reason): ``auto`` is ``default``, or the smaller class's
    patient count when that is lower (stratified folds need a patient of each class in each)."""
    if folds != "auto":
        return int(folds), "set", "set by the user"
    labelled = df[df["label"].notna()]
    smaller = min((labelled.loc[labelled["label"] == v, "patient_id"].nunique() for v in (0, 1)), default=default)
    value = max(2, min(default, smaller))
    why = f"{default}" if value == default else f"{value}: the smaller class has {smaller} patients"
    return value, "planned", why
