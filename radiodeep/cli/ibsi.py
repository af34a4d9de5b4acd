"""``radiodeep ibsi-check``: IBSI 1 phantom features (``--phantom``) and IBSI 2 filters
(``--phase 1``: response maps, ``--phase 2``: filtered-image statistics) against the reference values."""

from __future__ import annotations

from pathlib import Path

import typer

from radiodeep.cli import app

_SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _ibsi2(phase: int, data: Path | None, ids: list[str] | None, out: Path | None) -> None:
    from radiodeep.io import write_table

    data = data or _SHARED
    if phase == 1:
        from radiodeep.radiomics.ibsi2_phase1 import check_phase1

        table = check_phase1(data / "ibsi2")
        passed, name = int(table["passed"].sum()), "IBSI 2 phase 1: response maps within 1% of the consensus map's range"
    else:
        from radiodeep.radiomics.ibsi2_phase2 import check_phase2

        table = check_phase2(data, [i.upper() for i in ids] if ids else None)
        passed, name = int(table["within_tolerance"].sum()), "IBSI 2 phase 2 (CT phantom): values within tolerance"
    if out is not None:
        write_table(table, out)
    typer.echo(f"{name}: {passed} of {len(table)}")


@app.command("ibsi-check")
def ibsi_check(
    phantom: str | None = typer.Option(None, "--phantom", help="IBSI 1: digital | ct"),
    config: str | None = typer.Option(None, "--config", help="CT phantom configuration A|B|C|D|E"),
    phase: int | None = typer.Option(None, "--phase", help="IBSI 2: 1 (response maps of the digital phantoms) | 2 (18 filter configurations on the CT phantom)"),
    ids: list[str] | None = typer.Option(None, "--id", help="IBSI 2 phase 2: only these configurations (e.g. --id 3.B --id 5.A)"),
    data: Path | None = typer.Option(None, "--data", help="IBSI 1: folder laid out like shared/data/ibsi (default: tests/data/ibsi); IBSI 2: folder holding ibsi/ and ibsi2/ like shared/data (default: ../shared/data)"),
    mode: str = typer.Option("ibsi", "--mode", help="ibsi (radiodeep's IBSI preprocessing) | pyradiomics (stock)"),
    out: Path | None = typer.Option(None, "-o", "--out", help="CSV: tag, reference, tolerance, value, within_tolerance (phase 2: id first; phase 1: one row per map)"),
) -> None:
    """Compute the phantom's features (or the IBSI 2 response maps) and compare with the reference values."""
    import logging
    import warnings

    from radiodeep.io import write_table
    from radiodeep.radiomics.compliance import check

    logging.getLogger("radiomics").setLevel(logging.ERROR)
    warnings.simplefilter("ignore", DeprecationWarning)
    if (phase is None) == (phantom is None):
        typer.echo("error: give either --phantom digital|ct (IBSI 1) or --phase 1|2 (IBSI 2 filters)", err=True)
        raise typer.Exit(2)
    if phase is not None:
        if phase not in (1, 2):
            typer.echo(f"error: --phase must be 1 or 2, not {phase}", err=True)
            raise typer.Exit(2)
        try:
            _ibsi2(phase, data, ids, out)
        except (ValueError, FileNotFoundError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        return
    try:
        table = check(phantom, config.upper() if config else None, data, mode)
    except (ValueError, FileNotFoundError, StopIteration) as exc:
        typer.echo(f"error: {exc or 'phantom files not found under --data'}", err=True)
        raise typer.Exit(2) from exc
    if out is not None:
        write_table(table[["tag", "reference", "tolerance", "value", "within_tolerance", "feature"]], out)
    name = "digital phantom" if phantom == "digital" else f"CT phantom, configuration {config.upper()}"
    typer.echo(f"{name} ({mode} mode): {int(table['within_tolerance'].sum())} of {len(table)} mapped features within tolerance")
