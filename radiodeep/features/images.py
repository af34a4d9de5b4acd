"""Several images per case: per-image feature tables back to one row per case.

The radiomics stage extracts one record per unit (``<case_id>__<image_name>``, see
``radiodeep.manifest_images``). Here each image's features get the image name in front,
``<image_name>_<imageType>_<featureClass>_<feature>`` (``PET_original_glcm_Contrast``: legal
and unchanged in R's ``read.csv`` and in pandas), and

- ``radiomics_<image_name>.parquet``: one row per case that has that image, its features only
  (the model's ``handcrafted_<image_name>`` source);
- ``radiomics.parquet|csv``: one row per case that has every image, all images' features (a case
  lacking an image is left out here and listed by the cross-image QC with its reason);
- the long table: the unprefixed three-part name plus an ``image`` column;
- the dictionary: ``image`` and ``modality`` columns, the three parts of the unprefixed name.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from radiodeep.features.dictionary import feature_dictionary
from radiodeep.features.rnames import r_names
from radiodeep.features.tables import KEYS, long_table
from radiodeep.manifest_images import IMAGE_NAME, PARENT


def image_feature_tables(wide_units: pd.DataFrame, manifest: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """(wide table of the cases with every image, {image name: that image's table})."""
    parent = dict(zip(manifest["case_id"], manifest[PARENT], strict=True))
    image_of = dict(zip(manifest["case_id"], manifest[IMAGE_NAME], strict=True))
    features = [c for c in wide_units.columns if c not in KEYS]
    per_image = {}
    for name in dict.fromkeys(manifest[IMAGE_NAME]):
        rows = wide_units[wide_units["case_id"].map(image_of) == name]
        table = rows.assign(case_id=rows["case_id"].map(parent)).rename(columns={c: f"{name}_{c}" for c in features})
        per_image[name] = table.reset_index(drop=True)
    wide = None
    for table in per_image.values():
        wide = table if wide is None else wide.merge(table, on=KEYS, how="inner", validate="one_to_one")
    wide = wide.sort_values(["case_id", "roi"], kind="stable").reset_index(drop=True)
    return wide, per_image


def image_long_table(wide_units: pd.DataFrame, manifest: pd.DataFrame) -> pd.DataFrame:
    """The long table of every unit, with ``case_id`` the case and an ``image`` column."""
    long = long_table(wide_units, "radiomics")
    image = long["case_id"].map(dict(zip(manifest["case_id"], manifest[IMAGE_NAME], strict=True)))
    long["case_id"] = long["case_id"].map(dict(zip(manifest["case_id"], manifest[PARENT], strict=True)))
    long.insert(2, "image", image)
    return long


def image_dictionary(per_image: Mapping[str, pd.DataFrame], modalities: Mapping[str, str], units: Mapping[str, str],
                     ibsi_codes: dict[str, str]) -> pd.DataFrame:
    """Dictionary rows for every prefixed column, with ``image`` and ``modality``; ``r_name`` over
    the whole wide table's columns."""
    parts = []
    for name, table in per_image.items():
        cols = [c for c in table.columns if c not in KEYS]
        plain = [c[len(name) + 1:] for c in cols]
        d = feature_dictionary(plain, "radiomics", ibsi_codes, units.get(modalities[name], ""))
        d["column"] = cols
        d.insert(2, "image", name)
        d.insert(3, "modality", modalities[name])
        parts.append(d)
    dictionary = pd.concat(parts, ignore_index=True)
    dictionary["r_name"] = r_names([*KEYS, *dictionary["column"]])[len(KEYS):]
    return dictionary
