"""The data dictionary of a deep feature table: what each column is and which network made it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from radiodeep.features.dictionary import feature_dictionary


def deep_dictionary(columns: list[str], records: Sequence[dict]) -> pd.DataFrame:
    """``feature_dictionary(columns, 'deep')`` plus backbone, layer, pooling and weights hash."""
    table = feature_dictionary(columns, "deep")
    ok = [r for r in records if r.get("status") == "ok"]
    first = ok[0] if ok else {}
    table["backbone"] = first.get("backbone", "")
    table["layer"] = table["feature_class"]
    table["pooling"] = first.get("pooling", "")
    table["weights_sha256"] = first.get("weights_sha256", "")
    table["crop"] = f"{first.get('crop_mm', '')} mm at {first.get('spacing', '')} mm, centre {first.get('centre', '')}"
    return table
