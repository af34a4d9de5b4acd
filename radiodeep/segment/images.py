"""Several images per case: one U-Net per image name.

Each image name of a multi-image manifest (``radiodeep.manifest_images``) is its own
segmentation problem: its own modality, plan and grid, so its own U-Net under
``results/segmentation/<image_name>/`` (``model.pt``, ``model.json``, ``dice.csv``); the
units' predicted masks stay ``results/segmentation/predicted/<case_id>__<image_name>/mask.nii.gz``
(the unit id names the image). ``results/segmentation/dice.csv`` then gathers every image's
Dice with an ``image`` column, for the report. A one-image manifest keeps one U-Net in
``results/segmentation/``.

Example:
    >>> segmentation_dir("PET"), segmentation_dir("")
    ('results/segmentation/PET', 'results/segmentation')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from radiodeep.errors import RadiodeepError

SEGMENTATION = "results/segmentation"


def segmentation_dir(image_name: str) -> str:
    """The folder of an image's U-Net (``""``: the one-image run's)."""
    return f"{SEGMENTATION}/{image_name}" if image_name else SEGMENTATION


def unet_images(segment: Mapping, unlabelled: Mapping[str, Sequence[str]]) -> list[str]:
    """The image names that get a U-Net whose masks the run uses, in manifest order.

    Args:
        segment: the config's ``segment`` section (``enabled``, ``mask_source``, ``images``).
        unlabelled: image name -> its units without a reference mask (``{"": cases}`` for a
            one-image manifest).

    An image needs a U-Net when ``segment.enabled``, when ``mask_source`` is not ``reference``, or
    when one of its units has no mask; ``segment.images`` (empty: all) restricts the first two to
    the images it names, the others keep their reference masks.

    Example:
        >>> unet_images({"enabled": True, "mask_source": "reference", "images": ["PET"]},
        ...             {"PET": [], "CT": []})
        ['PET']
    """
    names = list(unlabelled)
    chosen = list(segment.get("images") or [])
    multi = names != [""]
    if chosen and not multi:
        raise RadiodeepError(f"segment.images {chosen} names images, but the manifest has one image per case "
                             "(no image_name column); remove segment.images")
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise RadiodeepError(f"segment.images names {unknown}, which the manifest's image_name column does not have "
                             f"(its images: {names})")
    if multi and segment.get("mask_source") == "both":
        raise RadiodeepError("segment.mask_source: both (feature stability between reference and U-Net masks) works "
                             "with one image per case only; use reference or predicted with several images")
    wanted = bool(segment.get("enabled")) or segment.get("mask_source", "reference") != "reference"
    out = []
    for name in names:
        listed = not chosen or name in chosen
        if unlabelled[name] and not listed:
            raise RadiodeepError(f"image {name}: {len(unlabelled[name])} unit(s) without a mask "
                                 f"(first {unlabelled[name][0]}) need its U-Net, but segment.images {chosen} leaves it "
                                 "out; add it to segment.images or give those rows a mask (or mask_from)")
        if unlabelled[name] or (wanted and listed):
            out.append(name)
    return out


def combine_dice_tables(tables: Mapping[str, str | Path]) -> pd.DataFrame:
    """Every image's ``dice.csv`` in one table, an ``image`` column first after ``case_id``.

    Args:
        tables: image name -> its dice.csv.
    """
    parts = []
    for name, path in tables.items():
        part = pd.read_csv(path, dtype={"case_id": str, "patient_id": str}, keep_default_na=False, na_values=[""])
        part.insert(1, "image", name)
        parts.append(part)
    if not parts:
        raise RadiodeepError("no per-image dice.csv to combine (no image has a U-Net)")
    return pd.concat(parts, ignore_index=True)


def dice_by_image(dice: pd.DataFrame) -> pd.DataFrame:
    """Per image (the ``image`` column of a combined dice table): scored cases, mean and median
    Dice, median HD95, cases flagged low."""
    scored = dice.assign(dice=pd.to_numeric(dice["dice"], errors="coerce")).dropna(subset=["dice"])
    low = scored["low_dice"].astype(str).str.lower() == "true"
    grouped = scored.assign(low=low).groupby("image", sort=False)
    return pd.DataFrame({
        "n": grouped.size(), "dice_mean": grouped["dice"].mean(), "dice_median": grouped["dice"].median(),
        "hd95_median_mm": grouped["hd95_mm"].median(), "n_low_dice": grouped["low"].sum().astype(int),
    }).reset_index()
