"""The features stage: per-case radiomics records -> cohort tables for statisticians."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from radiodeep.features.dictionary import feature_dictionary
from radiodeep.features.tables import KEYS, collect_case_records, long_table
from radiodeep.io import write_table

INTENSITY_UNITS = {"CT": "HU", "PET": "SUV", "MR": "z-score"}


def build_radiomics_tables(
    records: Sequence[str | Path],
    manifest: pd.DataFrame,
    outputs: dict[str, str | Path],
    modality: str,
    provenance_hash: str = "",
) -> pd.DataFrame:
    """Write wide (parquet, csv), long (parquet), dictionary (csv) and QC (csv) tables.

    Args:
        outputs: paths keyed ``parquet``, ``csv``, ``long``, ``dictionary``, ``qc``.
    """
    wide, qc = collect_case_records(records, manifest)
    write_table(wide, outputs["parquet"], provenance=provenance_hash)
    link = {"provenance": provenance_hash} if provenance_hash else {}
    write_table(wide, outputs["csv"], **link)
    write_table(long_table(wide, "radiomics"), outputs["long"], provenance=provenance_hash)
    feature_cols = [c for c in wide.columns if c not in KEYS]
    write_table(feature_dictionary(feature_cols, "radiomics", intensity_unit=INTENSITY_UNITS.get(modality, "")), outputs["dictionary"])
    write_table(qc, outputs["qc"])
    return wide
