"""``radiodeep segment``: segment one volume with a saved U-Net checkpoint."""

from __future__ import annotations

from pathlib import Path

import typer

from radiodeep.cli import app


@app.command()
def segment(
    image: Path = typer.Argument(..., help="image to segment (NIfTI/NRRD, in the model's modality units)"),
    model: Path = typer.Option(..., "--model", help="model.pt (model.json beside it)"),
    out: Path = typer.Option(..., "-o", "--out", help="output mask (on IMAGE's grid)"),
    device: str = typer.Option("auto", help="auto | cpu | cuda"),
    tta: bool | None = typer.Option(None, "--tta/--no-tta", help="flip test-time augmentation (default: the model's)"),
    modality: str | None = typer.Option(None, help="image modality, checked against the model's"),
    threads: int = typer.Option(2, help="CPU threads"),
) -> None:
    """Segment IMAGE with a U-Net checkpoint; the mask is written on IMAGE's own grid."""
    from radiodeep.errors import RadiodeepError
    from radiodeep.segment.stage import segment_case

    try:
        res = segment_case(image, model, out, device=device, tta=tta, modality=modality, case_id=image.name, threads=threads)
    except RadiodeepError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"wrote {out} ({res['voxels']} voxels)")
