"""Several images per case: the results page shows one Dice row per image's U-Net (a dice.csv
with an ``image`` column, as rule dice_table writes it)."""

from __future__ import annotations

import pandas as pd
import pytest

from radiodeep.report.summary import render_summary, summary_context
from tests.report.test_summary import Page

pytestmark = pytest.mark.slow  # the small study runs Snakemake


def test_dice_per_image(full_page_inputs, tmp_path):
    one = pd.read_csv(full_page_inputs["dice"], dtype={"case_id": str})
    two = pd.concat([one.assign(image="PET"), one.assign(image="MR", dice=one["dice"] / 2)], ignore_index=True)
    two.to_csv(tmp_path / "dice.csv", index=False)
    page = Page(render_summary(summary_context({**full_page_inputs, "dice": tmp_path / "dice.csv"}, min_dice=0.7)))
    head, *rows = page.tables["dice-by-image"]
    table = {r[0]: dict(zip(head, r, strict=True)) for r in rows}
    scored = one["dice"].dropna()
    assert list(table) == ["PET", "MR"] and table["PET"]["n"] == table["MR"]["n"] == str(len(scored))
    assert float(table["PET"]["dice_mean"]) == pytest.approx(scored.mean(), abs=5e-4)
    assert float(table["MR"]["dice_mean"]) == pytest.approx(scored.mean() / 2, abs=5e-4)
    assert "dice-by-image" not in Page(render_summary(summary_context(full_page_inputs, min_dice=0.7))).tables
