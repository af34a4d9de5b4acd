"""The features stage: per-case radiomics records -> cohort tables for statisticians."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from radiodeep.features.dictionary import feature_dictionary, ibsi_codes
from radiodeep.features.tables import KEYS, collect_case_records, long_table
from radiodeep.io import write_table
from radiodeep.manifest_images import is_multi_image

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
    if is_multi_image(manifest):  # one row per case, image-prefixed columns
        return _write_image_tables(wide, qc, manifest, outputs, modality, provenance_hash, mode)
    meta = {**_table_meta(qc, provenance_hash, mode), "modality": modality}
    write_table(wide, outputs["parquet"], **meta)
    link = {"provenance": provenance_hash} if provenance_hash else {}
    write_table(wide, outputs["csv"], **link, **{k: meta[k] for k in ("modality", "preset_hash", "radiomics_mode")})
    write_table(long_table(wide, "radiomics"), outputs["long"], **meta)
    feature_cols = [c for c in wide.columns if c not in KEYS]
    dictionary = feature_dictionary(feature_cols, "radiomics", ibsi_codes(mode), INTENSITY_UNITS.get(modality, ""))
    write_table(dictionary, outputs["dictionary"])
    write_table(qc, outputs["qc"])
    return wide


def _write_image_tables(units: pd.DataFrame, qc: pd.DataFrame, manifest: pd.DataFrame, outputs: dict[str, str | Path],
                        modality: str, provenance_hash: str, mode: str) -> pd.DataFrame:
    """``build_radiomics_tables`` for several images per case (``radiodeep.features.images``);
    each image's table goes beside the wide one as ``radiomics_<image_name>.parquet``."""
    from radiodeep.features.images import image_dictionary, image_feature_tables, image_long_table
    from radiodeep.manifest_images import IMAGE_NAME, unit_modalities

    wide, per_image = image_feature_tables(units, manifest)
    unit_mod = unit_modalities(manifest, modality)
    modalities = {name: unit_mod[u] for u, name in zip(manifest["case_id"], manifest[IMAGE_NAME], strict=True)}
    meta = {**_table_meta(qc, provenance_hash, mode), "modality": modality}
    write_table(wide, outputs["parquet"], **meta)
    write_table(wide, outputs["csv"], **({"provenance": provenance_hash} if provenance_hash else {}))
    for name, table in per_image.items():
        write_table(table, Path(outputs["parquet"]).with_name(f"radiomics_{name}.parquet"), **meta)
    write_table(image_long_table(units, manifest), outputs["long"], **meta)
    write_table(image_dictionary(per_image, modalities, INTENSITY_UNITS, ibsi_codes(mode)), outputs["dictionary"])
    write_table(qc, outputs["qc"])
    return wide


def _table_meta(qc: pd.DataFrame, provenance_hash: str, mode: str) -> dict[str, str]:
    """The Parquet files' metadata: provenance, mode, pyradiomics version(s), preset hash(es)."""
    meta = {"provenance": provenance_hash, "radiomics_mode": mode}
    for key in ("pyradiomics_version", "preset_hash"):
        meta[key] = ",".join(sorted({str(v) for v in qc.get(key, pd.Series(dtype=str)).dropna() if v}))
    return meta
