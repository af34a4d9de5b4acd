"""``radiodeep survival``: penalised Cox models in nested CV on any table with a time-to-event outcome."""

from __future__ import annotations

from pathlib import Path

import typer

from radiodeep.cli import app


@app.command("survival")
def survival(
    table: Path = typer.Argument(..., help="feature table: CSV, CSV.gz or Parquet"),
    time: str = typer.Option(..., "--time", help="time-to-event column (> 0)"),
    event: str = typer.Option(..., "--event", help="event column: 1 event, 0 censored"),
    id_col: str = typer.Option(..., "--id", help="case id column"),
    out: Path = typer.Option(..., "-o", "--out", help="output folder"),
    group: str | None = typer.Option(None, "--group", help="patient column for grouped CV (default: the id)"),
    clinical: list[str] = typer.Option([], "--clinical", help="numeric clinical column (repeatable)"),
    categorical: list[str] = typer.Option([], "--categorical", help="categorical clinical column, encoded in the folds (repeatable)"),
    horizon: list[float] = typer.Option([365.0, 730.0], "--horizon", help="time-dependent AUC horizon, time's unit (repeatable)"),
    folds: int = typer.Option(5, help="outer folds"),
    repeats: int = typer.Option(3, help="outer repeats"),
    inner_folds: int = typer.Option(3, help="inner folds tuning the penalty"),
    permutations: int = typer.Option(20, help="(time, event)-shuffled refits for the null C-index"),
    n_select: int = typer.Option(10, help="imaging features kept by the in-fold univariate Cox selection"),
    n_bootstrap: int = typer.Option(1000, help="patient bootstrap replicates"),
    jobs: int = typer.Option(1, help="processes"),
    seed: int = typer.Option(42),
) -> None:
    """Coxnet in nested patient-grouped CV: Harrell's and Uno's C, time-dependent AUC, KM of risk groups.

    Every numeric column that is not the id, group, time, event or a clinical column is an imaging
    feature (the handcrafted source); with clinical columns the sets are clinical, handcrafted and
    clinical+handcrafted. Writes survival_metrics.csv, survival_km.png|svg|csv, survival_oof_risk.csv,
    survival_null.csv and survival_coefficients.csv to OUT.
    """
    run_survival_table(table, time, event, id_col, out, group, clinical, categorical, horizon,
                       dict(folds=folds, repeats=repeats, inner_folds=inner_folds, permutations=permutations,
                            n_select=n_select, n_bootstrap=n_bootstrap, n_jobs=jobs), seed)


def run_survival_table(table: Path, time: str, event: str, id_col: str, out: Path, group: str | None,
                       clinical: list[str], categorical: list[str], horizon: list[float], options: dict, seed: int,
                       exclude: tuple[str, ...] = ()) -> None:
    """``radiodeep survival`` (and ``radiodeep evaluate --time --event``): run, print, or fail in one line."""
    from radiodeep.cli.stages import _fail
    from radiodeep.errors import RadiodeepError
    from radiodeep.logs import log_to
    from radiodeep.model.survival_stage import SurvivalSettings
    from radiodeep.model.survival_table import survival_table

    settings = SurvivalSettings(endpoints={time: {"time": time, "event": event}}, horizons=list(horizon),
                                clinical={"numeric": list(clinical), "categorical": list(categorical)}, **options)
    error = None
    with log_to(None):
        try:  # a user error: its message only, no traceback (log_to logs the tracebacks of what escapes)
            metrics = survival_table(table, id_col, group, out, settings, seed, exclude)
        except RadiodeepError as exc:
            error = exc
    if error is not None:
        _fail(error)
    cols = ["feature_set", "c_index", "c_index_ci_low", "c_index_ci_high", "uno_c", "logrank_p", "perm_p"]
    typer.echo(metrics[cols].round(3).to_string(index=False))
    typer.echo(f"wrote {out}/survival_metrics.csv, survival_km.png and the out-of-fold risks")
