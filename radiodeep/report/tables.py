"""Report tables: CSV tables rendered as HTML pages, the provenance summary and the excluded cases.

Snakemake's report shows images and HTML pages inline, but offers a CSV only as a download;
every table a reader should see is therefore also rendered as a small self-contained HTML page.

Example:
    >>> excluded_cases([]).columns.tolist()
    ['source', 'case_id', 'patient_id', 'status', 'reason']
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from radiodeep.io import atomic_path, read_json, write_table
from radiodeep.provenance import provenance_table

EXCLUDED_COLUMNS = ["source", "case_id", "patient_id", "status", "reason"]

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#1e293b}
h1{font-size:1.2em} p.note{color:#475569}
table{border-collapse:collapse;font-size:.85em} th,td{border:1px solid #cbd5e1;padding:.25em .6em;text-align:left}
th{background:#e2e8f0} tr:nth-child(even) td{background:#f8fafc} td{font-variant-numeric:tabular-nums}"""


def excluded_cases(qc_tables: Sequence[str | Path]) -> pd.DataFrame:
    """Cases whose ``status`` is not ``ok`` in any QC table, with the table's stage and the reason.

    Args:
        qc_tables: QC CSVs with ``case_id`` and ``status`` (``reason`` and ``patient_id`` where
            known; a table without ``status`` excludes nothing); ``source`` is ``<folder>/<stem>``.
    """
    frames = []
    for path in qc_tables:
        path = Path(path)
        qc = pd.read_csv(path, dtype={"case_id": str, "patient_id": str}, keep_default_na=False)
        if "status" not in qc.columns:  # a stage that lists only the cases it processed
            continue
        bad = qc[qc["status"].astype(str) != "ok"]
        frames.append(bad.reindex(columns=EXCLUDED_COLUMNS[1:], fill_value="").assign(source=f"{path.parent.name}/{path.stem}"))
    if not frames:
        return pd.DataFrame(columns=EXCLUDED_COLUMNS)
    return pd.concat(frames, ignore_index=True)[EXCLUDED_COLUMNS].sort_values(["case_id", "source"], ignore_index=True)


def unlabelled_cases(manifest: pd.DataFrame, label: str = "label") -> pd.DataFrame:
    """The manifest's rows without an outcome as excluded-cases rows: processed (features, masks),
    left out of the models (``source`` manifest/<label>, ``status`` not_modelled)."""
    rows = manifest.loc[manifest["label"].isna()]
    return pd.DataFrame({"source": f"manifest/{label}", "case_id": rows["case_id"].astype(str),
                         "patient_id": rows["patient_id"].astype(str), "status": "not_modelled",
                         "reason": f"no value in column {label!r}: features extracted, left out of the models"})[EXCLUDED_COLUMNS]


def write_excluded_cases(qc_tables: Sequence[str | Path], out_csv: str | Path,
                         unlabelled: pd.DataFrame | None = None) -> pd.DataFrame:
    """Write the excluded-cases table (empty but for its header when every case passed);
    ``unlabelled`` (:func:`unlabelled_cases`) adds the rows the models leave out for want of a label."""
    table = excluded_cases(qc_tables)
    if unlabelled is not None and len(unlabelled):
        table = pd.concat([table, unlabelled], ignore_index=True).sort_values(["case_id", "source"], ignore_index=True)
    write_table(table, out_csv)
    return table


def write_provenance_table(provenance_json: str | Path, out_csv: str | Path) -> pd.DataFrame:
    """Write provenance.json as a ``field, value`` CSV (nested keys dotted)."""
    table = provenance_table(read_json(provenance_json))
    write_table(table, out_csv)
    return table


def table_html(table: pd.DataFrame, title: str, empty_note: str = "No rows.") -> str:
    """A self-contained HTML page holding ``table`` (id ``radiodeep-table``) under ``title``."""
    body = (table.to_html(index=False, table_id="radiodeep-table", border=0, na_rep="", float_format=lambda x: f"{x:.4g}")
            if len(table) else f'<p class="note" id="radiodeep-empty">{html.escape(empty_note)}</p>')
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head>\n<body><h1>{html.escape(title)}</h1>\n"
            f'<p class="note">{len(table)} rows, {table.shape[1]} columns.</p>\n{body}\n</body></html>\n')


def render_table_html(csv_path: str | Path, out_html: str | Path, title: str, empty_note: str = "No rows.") -> pd.DataFrame:
    """Render a CSV table as an HTML page for the report, atomically."""
    table = pd.read_csv(csv_path, keep_default_na=False)
    with atomic_path(out_html) as tmp:
        tmp.write_text(table_html(table, title, empty_note))
    return table


def stage_times(benchmark_dir: str | Path) -> pd.DataFrame:
    """Wall time per rule from Snakemake's benchmark files (``<dir>/<rule>.tsv`` or ``<dir>/<rule>/*.tsv``).

    Returns one row per rule: ``rule, jobs, total_s, mean_s, max_s, cpu_s, max_rss_mb``, slowest
    first (``*_s``: wall seconds; ``cpu_s``: CPU seconds, less sensitive to a busy machine).
    """
    benchmark_dir = Path(benchmark_dir)
    rows = []
    for tsv in sorted(benchmark_dir.rglob("*.tsv")):
        rel = tsv.relative_to(benchmark_dir)
        rule = rel.parts[0] if len(rel.parts) > 1 else tsv.stem
        bench = pd.read_csv(tsv, sep="\t", na_values=["-"])
        rows.append({"rule": rule, "s": float(bench["s"].mean()), "cpu": float(bench["cpu_time"].mean()),
                     "max_rss": float(bench["max_rss"].max())})
    if not rows:
        return pd.DataFrame(columns=["rule", "jobs", "total_s", "mean_s", "max_s", "cpu_s", "max_rss_mb"])
    per_job = pd.DataFrame(rows)
    out = per_job.groupby("rule").agg(jobs=("s", "size"), total_s=("s", "sum"), mean_s=("s", "mean"),
                                      max_s=("s", "max"), cpu_s=("cpu", "sum"),
                                      max_rss_mb=("max_rss", "max")).reset_index()
    return out.sort_values("total_s", ascending=False, ignore_index=True).round(2)
