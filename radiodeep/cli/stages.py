"""Per-stage commands that the workflow's adapters and users both call."""

from __future__ import annotations

from pathlib import Path

import typer

from radiodeep.cli import app


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


@app.command("check-manifest")
def check_manifest(
    manifest: Path = typer.Argument(..., help="manifest CSV"),
    label: str = typer.Option("label", help="outcome column"),
    folds: int = typer.Option(5, help="outer CV folds the outcome must fill (model.folds)"),
) -> None:
    """Validate a manifest: every bad row and column is listed; exit 2 if any. Rows without a
    label are reported (they are processed but not modelled), as are classes too small for the folds."""
    from radiodeep.errors import ManifestError
    from radiodeep.manifest import outcome_problems, read_manifest

    try:
        df = read_manifest(manifest, label=label)
    except ManifestError as exc:
        _fail(exc)
    warnings, errors = outcome_problems(df, folds, label)
    for line in warnings:
        typer.echo(f"warning: {line}", err=True)
    if errors:
        _fail(ManifestError(f"manifest {manifest}: " + "; ".join(errors)))
    typer.echo(f"{manifest}: {len(df)} cases, {df['patient_id'].nunique()} patients, {int(df['label'].sum())} positive")


@app.command()
def ingest(
    image: Path = typer.Argument(..., help="NIfTI/NRRD image or DICOM folder"),
    mask: Path | None = typer.Option(None, "--mask", help="NIfTI/NRRD label map, RTSTRUCT or DICOM-SEG"),
    roi: str | None = typer.Option(None, "--roi", help="label value, or ROI name/regex (RTSTRUCT/SEG)"),
    out: Path = typer.Option(..., "-o", "--out", help="output folder"),
    case_id: str | None = typer.Option(None, "--case-id"),
    series_uid: str | None = typer.Option(None, "--series-uid", help="series to read from a DICOM folder with several"),
    modality: str | None = typer.Option(None, help="CT, MR or PET: restricts automatic series selection"),
    slice_spacing: str = typer.Option("error", help="error | resample: missing slices or non-uniform spacing"),
) -> None:
    """Write OUT/image.nii.gz, OUT/mask.nii.gz and OUT/header.json."""
    from radiodeep.errors import RadiodeepError
    from radiodeep.ingest import ingest_case

    try:
        header = ingest_case(image, mask, out, case_id=case_id or image.name, roi=roi, series_uid=series_uid,
                             modality=modality, slice_spacing=slice_spacing)
    except RadiodeepError as exc:
        _fail(exc)
    typer.echo(f"wrote {out}/image.nii.gz, mask.nii.gz, header.json (size {header['size']}, ROI voxels {header['roi_voxels']})")


@app.command()
def features(
    image: Path = typer.Argument(..., help="image (NIfTI/NRRD)"),
    mask: Path = typer.Argument(..., help="mask (NIfTI/NRRD)"),
    modality: str | None = typer.Option(None, help="CT | MR | PET: picks the modality's preset"),
    preset: str | None = typer.Option(None, help="shipped preset name or pyradiomics parameter file (instead of --modality)"),
    out: Path = typer.Option(..., "-o", "--out", help="output JSON"),
    case_id: str = typer.Option("case", "--case-id"),
) -> None:
    """Extract handcrafted radiomic features (pyradiomics) of one case to JSON."""
    from radiodeep.errors import RadiodeepError
    from radiodeep.radiomics import load_preset, run_case

    if not (modality or preset):
        _fail(RadiodeepError("name --modality CT|MR|PET (it picks the preset: bin width, HU range) or --preset NAME|FILE"))
    try:
        rec = run_case(image, mask, out, load_preset(preset or modality), case_id)
    except RadiodeepError as exc:
        _fail(exc)
    typer.echo(f"wrote {out}: {len(rec['features'])} features")
