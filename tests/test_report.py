"""Report items: excluded-cases table from QC tables, tables as self-contained HTML pages."""

from __future__ import annotations

import pandas as pd

from radiodeep.report import excluded_cases, render_table_html, stage_times, table_html


def test_excluded_cases_collects_every_qc_table(tmp_path):
    (tmp_path / "features").mkdir()
    (tmp_path / "segmentation").mkdir()
    pd.DataFrame({"case_id": ["A", "B", "C"], "patient_id": ["pA", "pB", "pC"], "status": ["ok", "skipped", "ok"],
                  "reason": ["", "B/mask.nii.gz: empty mask", ""]}).to_csv(tmp_path / "features" / "qc.csv", index=False)
    pd.DataFrame({"case_id": ["C", "A"], "status": ["failed", "ok"]}).to_csv(tmp_path / "segmentation" / "qc.csv", index=False)
    pd.DataFrame({"case_id": ["A"], "modality": ["PT"]}).to_csv(tmp_path / "ingest_qc.csv", index=False)
    table = excluded_cases([tmp_path / "features" / "qc.csv", tmp_path / "segmentation" / "qc.csv", tmp_path / "ingest_qc.csv"])
    assert table.values.tolist() == [
        ["features/qc", "B", "pB", "skipped", "B/mask.nii.gz: empty mask"],
        ["segmentation/qc", "C", "", "failed", ""],
    ]


def test_table_html_shows_every_cell(tmp_path):
    df = pd.DataFrame({"feature_set": ["handcrafted", "deep"], "auc": [0.71234567, 0.5], "n": [51, 51]})
    df.to_csv(tmp_path / "m.csv", index=False)
    render_table_html(tmp_path / "m.csv", tmp_path / "m.html", "Metrics <AUC>")
    html = (tmp_path / "m.html").read_text()
    assert "<title>Metrics &lt;AUC&gt;</title>" in html and 'id="radiodeep-table"' in html
    for cell in ("<td>handcrafted</td>", "<td>0.7123</td>", "<td>51</td>", "<th>auc</th>"):
        assert cell in html, cell
    assert "2 rows, 3 columns" in html


def test_empty_table_says_so():
    html = table_html(pd.DataFrame(columns=["case_id", "reason"]), "Excluded", "None: every case passed.")
    assert 'id="radiodeep-empty">None: every case passed.</p>' in html and "<table" not in html


def test_stage_times_sums_jobs_per_rule(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    (tmp_path / "radiomics").mkdir()
    for case, s in (("A", 1.5), ("B", 2.5)):
        (tmp_path / "radiomics" / f"{case}.tsv").write_text(header + f"{s}\t0:00:01\t10.0\t20\t5\t6\t0\t0\t50\t1\n")
    (tmp_path / "model.tsv").write_text(header + "7.25\t0:00:07\t300.0\t-\t-\t-\t-\t-\t-\t6.5\n")
    table = stage_times(tmp_path)
    assert table.values.tolist() == [["model", 1, 7.25, 7.25, 7.25, 6.5, 300.0],
                                    ["radiomics", 2, 4.0, 2.0, 2.5, 2.0, 10.0]]


def test_provenance_of_command(tmp_path):
    from typer.testing import CliRunner

    from radiodeep.cli import app
    from radiodeep.io import write_table

    df = pd.DataFrame({"case_id": ["a"], "x": [1.0]})
    write_table(df, tmp_path / "t.parquet", provenance="f00d")
    write_table(df, tmp_path / "plain.csv")
    runner = CliRunner()
    ok = runner.invoke(app, ["provenance-of", str(tmp_path / "t.parquet")])
    assert ok.exit_code == 0 and ok.output.strip() == "radiodeep.provenance\tf00d"
    missing = runner.invoke(app, ["provenance-of", str(tmp_path / "plain.csv")])
    assert missing.exit_code == 2 and "records no provenance" in missing.output
