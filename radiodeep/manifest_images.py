"""Several images per case in one manifest: one row per case and image, told apart by
``image_name``; per-row ``image``, ``mask``, ``roi``, ``series_uid``, ``modality`` and
``mask_from`` (another image of the case whose mask is carried over); every other column is
case-level and must agree across a case's rows.

Inside the workflow each row becomes a unit ``<case_id>__<image_name>`` (``expand_units``) that
ingest, preprocess and radiomics treat as a case of its own; the features stage pivots the units
back to one row per case (``radiodeep.features.images``). A manifest without ``image_name`` is
the one-image manifest and passes through untouched.

Example:
    >>> unit_id("STS_002", "PET")
    'STS_002__PET'
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

IMAGE_NAME = "image_name"
PARENT = "parent_id"  # the case a unit belongs to
UNIT_SEP = "__"
ROW_COLUMNS = ("image", "mask", "roi", "series_uid", IMAGE_NAME, "modality", "mask_from")
MODALITIES = ("CT", "MR", "PET")
_NAME = re.compile(r"^[A-Za-z0-9]+(_[A-Za-z0-9]+)*$")


def unit_id(case_id: str, image_name: str) -> str:
    """The internal id of one image of a case (legal in file names and the ``case`` wildcard)."""
    return f"{case_id}{UNIT_SEP}{image_name}"


def is_multi_image(df: pd.DataFrame) -> bool:
    return IMAGE_NAME in df.columns


def image_problems(df: pd.DataFrame, where: Callable[[int, str], str]) -> list[str]:
    """Problems of a multi-image manifest (before units are made), one line each naming row,
    image and column: image names, duplicates, modality, mask_from, case-level agreement."""
    problems: list[str] = []
    names = df[IMAGE_NAME].str.strip()
    df[IMAGE_NAME] = names
    for i, name in names.items():
        if not _NAME.match(name):
            problems.append(f"{where(i, IMAGE_NAME)}: image_name {name!r}: use letters and digits, single '_' "
                            "between them (e.g. PET, CT, MR_T1)")
        if UNIT_SEP in df.at[i, "case_id"]:
            problems.append(f"{where(i, 'case_id')}: a case_id of a multi-image manifest may not hold '__' "
                            "(it separates case and image in file names)")
    dup = df.duplicated(["case_id", IMAGE_NAME], keep="first")
    for i in dup[dup].index:
        problems.append(f"{where(i, IMAGE_NAME)}: image {names[i]!r} given twice for this case")
    if "modality" in df.columns:
        df["modality"] = df["modality"].str.strip().str.upper()
        for i, m in df["modality"].items():
            if m and m not in MODALITIES:
                problems.append(f"{where(i, 'modality')}: image {names[i]!r}: modality {m!r}; use CT, MR or PET")
        for name, mods in df.groupby(IMAGE_NAME)["modality"]:
            if mods.nunique() > 1:
                problems.append(f"image_name {name!r} has modalities {sorted(mods.unique())} on different rows; "
                                "one modality per image name (its settings and plan are shared)")
    if "mask_from" in df.columns:
        problems += _mask_from_problems(df, where)
    shared = [c for c in df.columns if c not in ROW_COLUMNS and c != "case_id"]
    for case, rows in df.groupby("case_id", sort=False):
        for col in shared:
            if rows[col].nunique(dropna=False) > 1:
                listed = ", ".join(f"row {i + 1} ({names[i]}): {v!r}" for i, v in rows[col].items())
                problems.append(f"case {case!r}, column {col}: a case-level column differs between its rows ({listed}); "
                                "give every row of the case the same value")
    return problems


def _mask_from_problems(df: pd.DataFrame, where: Callable[[int, str], str]) -> list[str]:
    problems = []
    df["mask_from"] = df["mask_from"].str.strip()
    for i, src in df["mask_from"].items():
        if not src:
            continue
        name = df.at[i, IMAGE_NAME]
        rows = df[(df["case_id"] == df.at[i, "case_id"]) & (df[IMAGE_NAME] == src)]
        if src == name:
            problems.append(f"{where(i, 'mask_from')}: image {name!r} takes its mask from itself")
        elif rows.empty:
            problems.append(f"{where(i, 'mask_from')}: image {name!r}: no image {src!r} in this case to take the mask from")
        elif not rows["mask"].iloc[0].strip():
            problems.append(f"{where(i, 'mask_from')}: image {name!r}: image {src!r} has no mask of its own to carry over")
        if df.at[i, "mask"].strip():
            problems.append(f"{where(i, 'mask')}: image {name!r} has both a mask and mask_from; keep one")
    return problems + _mask_from_cycles(df, where)


def _mask_from_cycles(df: pd.DataFrame, where: Callable[[int, str], str]) -> list[str]:
    """Ingest runs each image name in batches of its own and a carried mask waits for its
    source's batch, so mask_from between image names must not go round (case 1 T1 from PET,
    case 2 PET from T1): one problem per cycle, naming a row of each of its steps."""
    edges: dict[str, dict[str, int]] = {}  # image -> {image it takes masks from: first row}
    for i, src in df["mask_from"].items():
        if src and src != df.at[i, IMAGE_NAME]:
            edges.setdefault(df.at[i, IMAGE_NAME], {}).setdefault(src, i)
    problems, seen = [], set()
    for start in edges:
        path, todo = [start], [iter(edges[start])]
        while todo:  # depth-first from start; a cycle is reported from its first image in manifest order
            nxt = next(todo[-1], None)
            if nxt is None:
                path.pop()
                todo.pop()
            elif nxt == start and frozenset(path) not in seen:
                seen.add(frozenset(path))
                steps = [(a, path[(k + 1) % len(path)]) for k, a in enumerate(path)]
                rows = "; ".join(f"{where(edges[a][b], 'mask_from')}: image {a!r} from {b!r}" for a, b in steps)
                problems.append(f"mask_from goes round between images {' -> '.join([*path, start])} ({rows}): ingest "
                                "reads each image name in batches of its own, after the image it takes masks from; "
                                "carry masks one way between these images, or give those rows their own mask")
            elif nxt not in path and nxt in edges:
                path.append(nxt)
                todo.append(iter(edges[nxt]))
    return problems


def expand_units(df: pd.DataFrame) -> pd.DataFrame:
    """Rows become units: ``case_id`` the unit id, ``parent_id`` the case."""
    out = df.copy()
    out.insert(1, PARENT, out["case_id"])
    out["case_id"] = [unit_id(c, n) for c, n in zip(out[PARENT], out[IMAGE_NAME], strict=True)]
    for col in ("modality", "mask_from"):
        if col not in out.columns:
            out[col] = ""
    return out


def per_case(df: pd.DataFrame) -> pd.DataFrame:
    """One row per case with the case-level columns (the model stages' outcome table); a
    one-image manifest is returned as it is."""
    if PARENT not in df.columns:
        return df
    cases = df.drop_duplicates(PARENT).drop(columns=[c for c in ROW_COLUMNS if c in df.columns] + ["case_id"])
    return cases.rename(columns={PARENT: "case_id"}).reset_index(drop=True)


def image_groups(df: pd.DataFrame) -> dict[str, list[str]]:
    """image name -> unit ids, in manifest order; ``{"": case ids}`` for a one-image manifest."""
    if PARENT not in df.columns:
        return {"": list(df["case_id"])}
    return {name: list(rows["case_id"]) for name, rows in df.groupby(IMAGE_NAME, sort=False)}


def unit_modalities(df: pd.DataFrame, default: str) -> dict[str, str]:
    """unit (or case) id -> modality: the row's own where given (multi-image), else ``default``."""
    if PARENT not in df.columns:
        return dict.fromkeys(df["case_id"], default)
    return {u: (m or default) for u, m in zip(df["case_id"], df["modality"], strict=True)}
