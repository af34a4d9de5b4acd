"""Commands about a finished run: per-stage times from benchmark files, provenance of a table."""

from __future__ import annotations

from pathlib import Path

import typer

from radiodeep.cli import app


@app.command("stage-times")
def stage_times_command(
    benchmarks: Path = typer.Argument(Path("results/benchmarks"), help="the run's benchmark folder"),
) -> None:
    """Print wall time per rule (summed over its jobs) from Snakemake's benchmark files."""
    from radiodeep.report import stage_times

    table = stage_times(benchmarks)
    typer.echo(table.to_string(index=False))
    typer.echo(f"sum of job times: {table['total_s'].sum():.1f} s")


@app.command("provenance-of")
def provenance_of(table: Path = typer.Argument(..., help="a feature table, predictions or metrics file")) -> None:
    """Print the provenance hash a table records (Parquet metadata or .meta.json sidecar)."""
    from radiodeep.io import read_table_metadata

    meta = read_table_metadata(table)
    if not meta:
        typer.echo(f"error: {table} records no provenance", err=True)
        raise typer.Exit(2)
    for key, value in meta.items():
        typer.echo(f"{key}\t{value}")
