"""DICOM commands: draft a manifest from a DICOM tree, export a mask as DICOM-SEG."""

from __future__ import annotations

from pathlib import Path

import typer

from radiodeep.cli import app
from radiodeep.cli.stages import _fail


@app.command()
def manifest(
    dicom_root: Path = typer.Argument(..., help="folder holding DICOM series (any depth)"),
    out: Path = typer.Option(..., "-o", "--out", help="draft manifest CSV to write"),
    salt: str = typer.Option("", help="salt of the pseudonymous patient ids (keep it secret and fixed per study)"),
    outcome: Path | None = typer.Option(None, help="CSV keyed by DICOM PatientID (first column) holding the outcome"),
    outcome_column: str | None = typer.Option(None, help="outcome column of --outcome (default: its second column)"),
) -> None:
    """Scan DICOM_ROOT (headers only) and write a draft manifest for review: one row per image series.

    Classic, compressed and enhanced multi-frame series are found; what is skipped (not DICOM,
    non-image objects, localizers, single slices, undecodable transfer syntaxes, masks of no
    series found) is listed with the reason in <manifest>_skipped.csv and summarised here.
    """
    from radiodeep.errors import RadiodeepError
    from radiodeep.ingest.scan import draft_manifest, skipped_path

    def progress(files):
        with typer.progressbar(files, label=f"scanning {len(files)} files", file=None) as bar:
            yield from bar

    try:
        df = draft_manifest(dicom_root, out, salt, outcome, outcome_column, progress)
    except RadiodeepError as exc:
        _fail(exc)
    typer.echo(f"wrote {out}: {len(df)} image series, {df['patient_id'].nunique()} patients, {int((df['mask'] != '').sum())} with a mask")
    skipped = df.attrs["skipped"]
    if len(skipped):
        typer.echo(f"skipped {len(skipped)} files or series (listed in {skipped_path(out)}):")
        for reason, n in skipped["reason"].str.replace(r"^series \S+ ", "series ", regex=True).value_counts().items():
            typer.echo(f"  {n} x {reason}")


@app.command("export-seg")
def export_seg(
    dicom_dir: Path = typer.Argument(..., help="folder of the DICOM image series the mask was drawn on"),
    mask: Path = typer.Argument(..., help="NIfTI/NRRD mask on that series' grid (e.g. results/ingest/CASE/mask.nii.gz)"),
    out: Path = typer.Option(..., "-o", "--out", help="DICOM-SEG file to write"),
    label: str = typer.Option("ROI", help="segment label"),
    series_uid: str | None = typer.Option(None, "--series-uid", help="series to use when the folder holds several"),
    algorithm: str | None = typer.Option(None, help="model name for a predicted mask (default: manual)"),
) -> None:
    """Write MASK as a binary DICOM-SEG referencing the series, for viewing in a DICOM viewer."""
    from radiodeep.errors import RadiodeepError
    from radiodeep.ingest.seg import export_seg as run

    try:
        run(dicom_dir, mask, out, label, series_uid, algorithm)
    except RadiodeepError as exc:
        _fail(exc)
    typer.echo(f"wrote {out}")
