"""``radiodeep ibsi-check``: IBSI 1 phantom features against the published reference values."""

from __future__ import annotations

from pathlib import Path

import typer

from radiodeep.cli import app


@app.command("ibsi-check")
def ibsi_check(
    phantom: str = typer.Option(..., "--phantom", help="digital | ct"),
    config: str | None = typer.Option(None, "--config", help="CT phantom configuration A|B|C|D|E"),
    data: Path | None = typer.Option(None, "--data", help="folder laid out like shared/data/ibsi (default: the repository's copy, tests/data/ibsi)"),
    mode: str = typer.Option("ibsi", "--mode", help="ibsi (radiodeep's IBSI preprocessing) | pyradiomics (stock)"),
    out: Path | None = typer.Option(None, "-o", "--out", help="CSV: tag, reference, tolerance, value, within_tolerance"),
) -> None:
    """Compute the phantom's features, map them to IBSI tags and compare with the reference values."""
    import logging
    import warnings

    from radiodeep.io import write_table
    from radiodeep.radiomics.compliance import check

    logging.getLogger("radiomics").setLevel(logging.ERROR)
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        table = check(phantom, config.upper() if config else None, data, mode)
    except (ValueError, FileNotFoundError, StopIteration) as exc:
        typer.echo(f"error: {exc or 'phantom files not found under --data'}", err=True)
        raise typer.Exit(2) from exc
    if out is not None:
        write_table(table[["tag", "reference", "tolerance", "value", "within_tolerance", "feature"]], out)
    name = "digital phantom" if phantom == "digital" else f"CT phantom, configuration {config.upper()}"
    typer.echo(f"{name} ({mode} mode): {int(table['within_tolerance'].sum())} of {len(table)} mapped features within tolerance")
