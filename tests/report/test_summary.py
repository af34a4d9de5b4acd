"""The results page of the small study (results/summary.html): every number from the run's tables."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest
from PIL import Image

from radiodeep.errors import RadiodeepError
from radiodeep.report.summary import render_summary, summary_context
from tests.report.conftest import run_inputs

pytestmark = pytest.mark.slow  # the small study runs Snakemake


class Page(HTMLParser):
    """Tables (by id: rows of cell texts), images (id -> attributes) and elements with an id."""

    def __init__(self, text: str):
        super().__init__()
        self.tables, self.images, self.ids = {}, {}, {}
        self._table = self._row = self._cell = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids[a["id"]] = tag
        if tag == "table":
            self._table = self.tables.setdefault(a.get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images[a.get("id", "")] = a

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_results_page_shows_the_run_tables(small_study):
    results = small_study / "results"
    page = Page((results / "summary.html").read_text())
    manifest = pd.read_csv(small_study / "cohort" / "manifest.csv")
    cohort = dict(page.tables["cohort-table"])
    assert cohort["cases"] == str(len(manifest)) == "12" and cohort["patients"] == "12"
    assert cohort["positives (label 1)"] == str(int(manifest["label"].sum())) == "4"
    assert cohort["excluded (any stage)"] == "0" and "excluded-none" in page.ids
    metrics = pd.read_csv(results / "evaluation" / "metrics.csv")
    head, *rows = page.tables["metrics-table"]
    assert len(rows) == len(metrics) == 1
    shown = dict(zip(head, rows[0], strict=True))
    auc, low, high = (float(x) for x in re.findall(r"\d\.\d{3}", shown["AUC [95% CI]"]))
    m = metrics.iloc[0]
    assert (auc, low, high) == pytest.approx((m["auc"], m["auc_ci_low"], m["auc_ci_high"]), abs=5e-4)
    assert (shown["n"], shown["positives"]) == ("12", "4")
    for column in ("sensitivity", "specificity", "brier", "perm p"):
        assert float(shown[column]) == pytest.approx(m[column.replace(" ", "_")], abs=5e-4), column
    prov = json.loads((results / "provenance.json").read_text())
    assert dict(page.tables["provenance-table"])["provenance_sha256"] == prov["provenance_sha256"]
    for name, png in (("roc", "evaluation/roc.png"), ("calibration", "evaluation/calibration.png"),
                      ("decision_curve", "evaluation/decision_curve.png"), ("permutation_null", "report/permutation_null.png")):
        img = page.images[f"fig-{name}"]
        assert (int(img["width"]), int(img["height"])) == Image.open(results / png).size
        assert img["src"].startswith("data:image/png;base64,")
    # what this light run lacks is said, not hidden
    assert {"segmentation-missing", "stability-missing"} <= set(page.ids)
    # every run has a cohort plan and the model stage's importance table: shown, not missing
    assert not {"importance-missing", "plan-missing"} & set(page.ids)


def test_every_optional_section(full_page_inputs, tmp_path):
    page = Page(render_summary(summary_context(full_page_inputs, min_dice=0.7)))
    head, *rows = page.tables["importance"]
    assert [r[head.index("feature")] for r in rows] == [f"original_firstorder_F{i}" for i in (3, 1, 4, 6, 2)]
    _, *low = page.tables["low-dice"]
    assert [r[0] for r in low] == ["STS_003", "STS_002"]  # below min_dice, lowest first
    head, *families = page.tables["icc-families"]
    table = {r[0]: dict(zip(head, r, strict=True)) for r in families}
    assert (table["shape"]["features"], table["shape"]["kept"]) == ("2", "2")
    assert (table["glcm"]["features"], table["glcm"]["kept"]) == ("2", "0")  # NaN ICC is not kept
    plan = dict(page.tables["plan-table"])
    assert plan["per_fold.positives_min"] == "1" and plan["warnings"] == '["few positives"]'
    for name, key in (("contact_sheet", "contact_sheet"), ("importance", "importance_figure"),
                      ("segmentation_distributions", "segmentation_distributions"), ("icc", "icc")):
        img = page.images[f"fig-{name}"]
        assert (int(img["width"]), int(img["height"])) == Image.open(full_page_inputs[key]).size


def test_tables_of_another_run_are_refused(small_study, tmp_path):
    inputs = run_inputs(small_study / "results")
    oof = tmp_path / "oof_predictions.csv"
    shutil.copy(inputs["oof"], oof)
    (tmp_path / "oof_predictions.csv.meta.json").write_text(json.dumps({"radiodeep.provenance": "ab" * 32}))
    with pytest.raises(RadiodeepError, match=r"oof_predictions.csv: made by run abababababab, but provenance.json records run"):
        summary_context({**inputs, "oof": oof})
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(inputs["manifest"].read_text() + "\n")
    with pytest.raises(RadiodeepError, match="not the manifest of the run recorded in provenance.json"):
        summary_context({**inputs, "manifest": manifest})
