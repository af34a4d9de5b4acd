"""Several images per case: per-image deep feature tables, back to one row per case.

Each image name is embedded on its own (its modality, plan and, for the unet-encoder backbone,
its own U-Net), one record per unit ``<case_id>__<image_name>``. As for the radiomics tables
(``radiodeep.features.images``), each image's columns get the image name in front
(``PET_deep-unet_enc3_f0007``) and

- ``deep_<image_name>.parquet``: one row per case that has that image (the model's
  ``deep_<image_name>`` source);
- ``deep.parquet|csv``: one row per case that has every image, all images' deep columns;
- ``deep_dictionary.csv``: every prefixed column with ``image``, ``modality``, backbone and the
  weights' SHA-256 of that image's network.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from radiodeep.embed.dictionary import deep_dictionary
from radiodeep.features.images import image_feature_tables
from radiodeep.features.rnames import r_names
from radiodeep.features.tables import KEYS
from radiodeep.io import write_table
from radiodeep.manifest_images import IMAGE_NAME, unit_modalities

log = logging.getLogger(__name__)


def image_table_paths(paths: Sequence[str | Path], names: Sequence[str]) -> dict[str, str]:
    """image name -> its ``deep_<image_name>.parquet`` among ``paths``.

    Example:
        >>> image_table_paths(["r/deep_CT.parquet", "r/deep_PET.parquet"], ["PET", "CT"])
        {'PET': 'r/deep_PET.parquet', 'CT': 'r/deep_CT.parquet'}
    """
    by_name = {Path(p).name: str(p) for p in paths}
    missing = [n for n in names if f"deep_{n}.parquet" not in by_name]
    if missing:
        raise ValueError(f"no output deep_<image>.parquet for image(s) {missing} among {sorted(by_name)}")
    return {n: by_name[f"deep_{n}.parquet"] for n in names}


def write_image_deep_tables(units: pd.DataFrame, records: Sequence[dict], manifest: pd.DataFrame,
                            outputs: Mapping, modality: str, provenance_hash: str = "") -> pd.DataFrame:
    """Write the per-image and the all-image deep tables and the dictionary; return the wide one.

    Args:
        units: the deep table of every unit (``collect_case_records`` of the embed records).
        records: the units' records without their vectors (backbone, weights hash per unit).
        manifest: the expanded multi-image manifest (units with ``parent_id``, ``image_name``).
        outputs: ``parquet``, ``csv``, ``dictionary`` and ``images`` (the deep_<image>.parquet paths).
        modality: the config's modality (for rows without their own).
    """
    wide, per_image = image_feature_tables(units, manifest)
    image_of = dict(zip(manifest["case_id"], manifest[IMAGE_NAME], strict=True))
    unit_mod = unit_modalities(manifest, modality)
    paths = image_table_paths(outputs["images"], list(per_image))
    parts = []
    for name, table in per_image.items():
        recs = [r for r in records if image_of.get(r["case_id"]) == name]
        hashes = {r["weights_sha256"] for r in recs if r.get("status") == "ok"}
        if len(hashes) > 1:
            raise ValueError(f"image {name}: per-case records come from different weights ({sorted(hashes)}); "
                             f"rerun the embed_{name} rule")
        cols = [c for c in table.columns if c not in KEYS]
        write_table(table, paths[name], provenance=provenance_hash, weights_sha256=next(iter(hashes), ""))
        d = deep_dictionary([c[len(name) + 1:] for c in cols], recs)
        d["column"] = cols
        d.insert(2, "image", name)
        d.insert(3, "modality", next((unit_mod[u] for u, n in image_of.items() if n == name), modality))
        parts.append(d)
        log.info("deep table %s: %d cases x %d features", name, len(table), len(cols))
    dictionary = pd.concat(parts, ignore_index=True)
    dictionary["r_name"] = r_names([*KEYS, *dictionary["column"]])[len(KEYS):]
    write_table(wide, outputs["parquet"], provenance=provenance_hash)
    write_table(wide, outputs["csv"], provenance=provenance_hash)
    write_table(dictionary, outputs["dictionary"])
    log.info("deep table, every image: %d cases x %d features", len(wide), len(wide.columns) - len(KEYS))
    return wide
