"""The features stage: per-case radiomics records -> cohort tables for statisticians."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from radiodeep.features.dictionary import feature_dictionary, ibsi_codes
from radiodeep.features.tables import KEYS, collect_case_records, long_table
from radiodeep.io import write_table

INTENSITY_UNITS = {"CT": "HU", "PET": "SUV", "MR": "z-score"}


def build_radiomics_tables(
    records: Sequence[str | Path],
    manifest: pd.DataFrame,
    outputs: dict[str, str | Path],
    modality: str,
    provenance_hash: str = "",
    mode: str = "pyradiomics",
) -> pd.DataFrame:
    """Write wide (parquet, csv), long (parquet), dictionary (csv) and QC (csv) tables.

    Provenance: the QC table has, per case, the radiomics mode, pyradiomics version, preset hash and
    the SHA-256 of image and mask; the Parquet files carry the config hash, pyradiomics version(s)
    and preset hash(es) in their schema metadata.

    Args:
        outputs: paths keyed ``parquet``, ``csv``, ``long``, ``dictionary``, ``qc``.
        mode: the radiomics mode (``ibsi`` adds the excess-kurtosis IBSI code to the dictionary).
    """
    wide, qc = collect_case_records(records, manifest)
    meta = {"provenance": provenance_hash, "radiomics_mode": mode, "modality": modality}
    for key in ("pyradiomics_version", "preset_hash"):
        meta[key] = ",".join(sorted({str(v) for v in qc.get(key, pd.Series(dtype=str)).dropna() if v}))
    write_table(wide, outputs["parquet"], **meta)
    link = {"provenance": provenance_hash} if provenance_hash else {}
    write_table(wide, outputs["csv"], **link, **{k: meta[k] for k in ("modality", "preset_hash", "radiomics_mode")})
    write_table(long_table(wide, "radiomics"), outputs["long"], **meta)
    feature_cols = [c for c in wide.columns if c not in KEYS]
    dictionary = feature_dictionary(feature_cols, "radiomics", ibsi_codes(mode), INTENSITY_UNITS.get(modality, ""))
    write_table(dictionary, outputs["dictionary"])
    write_table(qc, outputs["qc"])
    return wide
