"""The embed stage: cohort -> per-case deep-feature records -> deep feature table and dictionary."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from radiodeep.embed.backbones import build_backbone
from radiodeep.embed.dictionary import deep_dictionary
from radiodeep.embed.extract import CaseInput, embed_cases, output_paths
from radiodeep.errors import RadiodeepError
from radiodeep.features.tables import KEYS, collect_case_records
from radiodeep.io import read_json, write_json, write_table
from radiodeep.manifest_images import is_multi_image
from radiodeep.seeds import seed_everything

log = logging.getLogger(__name__)


def run_embedding(
    cases: Sequence[CaseInput],
    settings: dict,
    outputs: Sequence[str | Path],
    *,
    modality: str = "PET",
    seed: int = 42,
    on_error: str = "fail",
    threads: int | None = None,
) -> list[dict]:
    """Embed ``cases`` with the backbone of ``settings`` (the config's ``embed`` section) and
    write each case's JSON record to the output named ``<case_id>.json`` as soon as its batch is
    done (``embed.batch_size`` crops in memory at most). Returns the records of the cases that
    have no output (all of them when ``outputs`` is empty, as for ``radiodeep embed``)."""
    import torch

    paths = output_paths(outputs)
    unknown = sorted(set(paths) - {case.case_id for case in cases})
    if unknown:
        raise RadiodeepError(f"embed outputs {unknown[:5]} name no case of the cohort: the outputs must be "
                             "<case_id>.json for the cases given")
    seed_everything(seed)
    if threads:
        torch.set_num_threads(int(threads))
    backbone = build_backbone(settings, modality, seed)
    kept = []
    for record in embed_cases(
        cases, backbone, pooling=settings.get("pooling", "masked"), centre=settings.get("centre", "com"),
        batch_size=int(settings.get("batch_size", 8)), device=settings.get("device", "cpu"), on_error=on_error,
    ):
        if record["case_id"] in paths:
            write_json(record, paths[record["case_id"]])
        else:
            kept.append(record)
    return kept


def build_deep_tables(
    records: Sequence[str | Path],
    manifest: pd.DataFrame,
    outputs: dict[str, str | Path],
    provenance_hash: str = "",
    modality: str = "PET",
) -> pd.DataFrame:
    """Write the wide deep-feature table (``parquet``, ``csv``) and its ``dictionary`` (csv);
    several images per case: also ``images``, a table per image (``radiodeep.embed.images``).

    Skipped cases are absent from the table (their reasons stay in the per-case records).
    """
    # provenance only (no vectors): the vectors are read once, into the table
    recs = [{k: v for k, v in read_json(p).items() if k != "features"} for p in records]
    if is_multi_image(manifest):  # one row per case, image-prefixed columns, a table per image
        from radiodeep.embed.images import write_image_deep_tables

        wide, _ = collect_case_records(records, manifest)
        return write_image_deep_tables(wide, recs, manifest, outputs, modality, provenance_hash)
    hashes = {r["weights_sha256"] for r in recs if r.get("status") == "ok"}
    if len(hashes) > 1:
        raise ValueError(f"per-case records come from different weights ({sorted(hashes)}); rerun the embed rule")
    wide, _ = collect_case_records(records, manifest)
    feature_cols = [c for c in wide.columns if c not in KEYS]
    meta = {"provenance": provenance_hash, "weights_sha256": next(iter(hashes), "")}
    write_table(wide, outputs["parquet"], **meta)
    write_table(wide, outputs["csv"], **meta)
    write_table(deep_dictionary(feature_cols, recs), outputs["dictionary"])
    log.info("deep table: %d cases x %d features", len(wide), len(feature_cols))
    return wide
