"""``radiodeep embed``: deep features (CNN embedding of the ROI crop) of one or more cases."""

from __future__ import annotations

from pathlib import Path

import typer

from radiodeep.cli import app


@app.command()
def embed(
    image: Path = typer.Argument(..., help="image (NIfTI/NRRD), preprocessed"),
    mask: Path = typer.Argument(..., help="ROI label map on the image grid"),
    out: Path = typer.Option(..., "-o", "--out", help="output JSON record (features + provenance)"),
    backbone: str = typer.Option("unet-encoder", help="unet-encoder | resnet | random"),
    checkpoint: Path | None = typer.Option(None, help="U-Net model.pt (model.json beside it), for unet-encoder"),
    weights: Path | None = typer.Option(None, help="ResNet weights file (state dict or checkpoint), for resnet"),
    preset: str | None = typer.Option(None, help="named ResNet preset: fmcib"),
    depth: int = typer.Option(50, help="ResNet depth (10, 18, 34, 50, 101, 152, 200)"),
    widen_factor: float = typer.Option(1.0, help="ResNet width multiplier"),
    levels: list[str] | None = typer.Option(None, "--level", help="feature level(s), e.g. enc4 or layer4; default: backbone's"),
    pooling: str = typer.Option("masked", help="masked | global"),
    centre: str = typer.Option("com", help="crop centre: com (centre of mass) | bbox"),
    crop_mm: float | None = typer.Option(None, help="crop edge in mm (default: backbone's)"),
    spacing: float | None = typer.Option(None, help="crop voxel size in mm (default: backbone's)"),
    modality: str | None = typer.Option(None, help="CT | MR | PET (intensity window); default: the U-Net checkpoint's"),
    device: str = typer.Option("cpu", help="cpu | cuda | auto"),
    seed: int = typer.Option(42),
    threads: int = typer.Option(1, help="torch CPU threads (results are bitwise reproducible for a fixed count)"),
    case_id: str = typer.Option("case", "--case-id"),
) -> None:
    """Embed one case and write OUT (JSON with the vector, backbone, pooling and weights hash)."""
    from radiodeep.cli.stages import _fail
    from radiodeep.embed import CaseInput, run_embedding
    from radiodeep.errors import RadiodeepError
    from radiodeep.io import read_json, write_json

    if backbone == "unet-encoder" and checkpoint is None:
        _fail(RadiodeepError("--checkpoint is needed for backbone unet-encoder: a U-Net model.pt (e.g. "
                             "results/segmentation/model.pt of a run), or use --backbone resnet --weights FILE or --backbone random"))
    if modality is None:
        meta = checkpoint.with_suffix(".json") if checkpoint else None
        modality = read_json(meta).get("modality") if meta and meta.is_file() else None
        if modality is None:
            _fail(RadiodeepError("--modality CT|MR|PET is needed (it sets the intensity window)"))
    settings = {
        "backbone": backbone, "checkpoint": str(checkpoint) if checkpoint else None,
        "weights": str(weights) if weights else None, "preset": preset,
        "resnet": {"depth": depth, "widen_factor": widen_factor}, "levels": levels or None,
        "pooling": pooling, "centre": centre, "crop_mm": crop_mm, "spacing": spacing, "device": device,
    }
    try:
        # no shared intermediate file: two processes embedding the same case id into one
        # folder (different -o) must not race on ``<case_id>.json``
        rec = run_embedding([CaseInput(case_id, image, mask)], settings, [], modality=modality,
                            seed=seed, threads=threads)[0]
        write_json(rec, out)
    except RadiodeepError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"wrote {out}: {len(rec['features'])} features from {rec['backbone']} (weights sha256 {rec['weights_sha256'][:12]})")
