"""``radiodeep evaluate`` (model and evaluate any feature table) and ``radiodeep predict``."""

from __future__ import annotations

from pathlib import Path

import typer

from radiodeep.cli import app


@app.command("evaluate")
def evaluate(
    table: Path = typer.Argument(..., help="feature table: CSV, CSV.gz or Parquet"),
    label: str | None = typer.Option(None, "--label", help="binary outcome column (0/1)"),
    time: str | None = typer.Option(None, "--time", help="time-to-event column (> 0): also Cox models, as `radiodeep survival`"),
    event: str | None = typer.Option(None, "--event", help="event column (1 event, 0 censored), with --time"),
    id_col: str = typer.Option(..., "--id", help="case id column"),
    group: str | None = typer.Option(None, "--group", help="patient column for grouped CV (default: the id)"),
    out: Path = typer.Option(..., "-o", "--out", help="output folder"),
    classifier: list[str] = typer.Option(["auto"], "--classifier",
                                         help="auto (L1-logistic + random forest ensemble), elasticnet, svm, random_forest, xgboost (repeatable)"),
    folds: int = typer.Option(5, help="outer folds"),
    repeats: int = typer.Option(3, help="outer repeats"),
    inner_folds: int = typer.Option(3, help="inner tuning folds"),
    permutations: int = typer.Option(20, help="label-shuffled refits for the null AUC"),
    selection: str = typer.Option("none", help="none, l1, mrmr or kbest"),
    n_select: int = typer.Option(20, help="features kept by the selection"),
    combat: bool = typer.Option(False, help="ComBat by the table's site column"),
    baselines: bool = typer.Option(True, help="also report plain L1-logistic and random-forest baselines on the same folds"),
    n_bootstrap: int = typer.Option(2000, help="patient bootstrap replicates"),
    jobs: int = typer.Option(1, help="processes"),
    seed: int = typer.Option(42),
) -> None:
    """Nested patient-grouped CV, metrics, DeLong, permutation control and figures for one table.

    Columns named deep-* are the deep source, the other numeric columns the handcrafted source;
    with both, early and late fusion are added. Optional site/split columns act as in a manifest.
    With --time and --event (instead of or beside --label) the table also gets the penalised Cox
    models of ``radiodeep survival`` (its defaults; survival_metrics.csv and the rest in OUT).
    """
    from radiodeep.cli.stages import _fail
    from radiodeep.cli.survival import run_survival_table

    if (time is None) != (event is None) or (label is None and time is None):
        _fail(ValueError("give --label, or --time with --event, or all three"))
    if time is not None:
        run_survival_table(table, time, event, id_col, out, group, [], [], [365.0, 730.0],
                           dict(folds=folds, repeats=repeats, inner_folds=inner_folds, permutations=permutations,
                                n_bootstrap=n_bootstrap, n_jobs=jobs), seed,
                           exclude=(label,) if label else ())  # the binary label is no feature of the Cox models
        if label is None:
            return
    from radiodeep.errors import RadiodeepError
    from radiodeep.logs import log_to
    from radiodeep.model.stage import ModelSettings
    from radiodeep.model.table import evaluate_table

    settings = ModelSettings(classifiers=classifier, folds=folds, repeats=repeats, inner_folds=inner_folds,
                             permutations=permutations, selection=selection, n_select=n_select, combat=combat, baselines=baselines, n_jobs=jobs)
    try:
        with log_to(None):
            metrics = evaluate_table(table, label, id_col, out, group, settings, n_bootstrap, seed,
                                     exclude=tuple(c for c in (time, event) if c))
    except RadiodeepError as exc:
        _fail(exc)
    cols = ["feature_set", "classifier", "auc", "auc_ci_low", "auc_ci_high", "auc_repeat_sd", "perm_p", "baseline"]
    typer.echo(metrics[cols].round(3).to_string(index=False))
    typer.echo(f"wrote {out}/metrics.csv, delong.csv, oof_predictions.csv, importance.csv, figures and models/")


@app.command("predict")
def predict(
    table: Path = typer.Argument(..., help="feature table of the new cohort (CSV, CSV.gz, Parquet)"),
    model: Path = typer.Option(..., "--model", help="a results/models/*.skops file"),
    out: Path = typer.Option(..., "-o", "--out", help="predictions CSV"),
    id_col: str = typer.Option("case_id", "--id", help="case id column"),
    trust_pickle: bool = typer.Option(False, "--trust-pickle",
                                      help="load a legacy .joblib (pickle) model; it can run code: only for files you trust"),
    modality: str | None = typer.Option(None, help="CT, MR or PET: the new cohort's images, for a table that does not record them"),
) -> None:
    """Apply a saved final model: writes case_id, score, threshold, predicted.

    Models load with skops.io and an allow-list of scikit-learn, xgboost and radiodeep types;
    a file holding any other type, or a pickle without --trust-pickle, is refused. A warning says
    when the table's images (modality, radiomics preset; from its metadata or --modality) differ
    from the model's, and when the model scores every case the same or predicts no positive.
    """
    from radiodeep.cli.stages import _fail
    from radiodeep.errors import RadiodeepError
    from radiodeep.io import write_table
    from radiodeep.model.persist import load_model
    from radiodeep.model.stage import predict_table, read_feature_table

    try:
        bundle = load_model(model, trust_pickle=trust_pickle)
        frame = read_feature_table(table)
        if id_col not in frame.columns:
            raise RadiodeepError(f"{table}: no id column {id_col!r}")
        pred = predict_table(bundle, frame.rename(columns={id_col: "case_id"}))
    except RadiodeepError as exc:
        _fail(exc)
    from radiodeep.evaluate.metrics import score_warning
    from radiodeep.model.stage import imaging_mismatch, table_imaging

    trained = bundle.get("imaging") or {}
    typer.echo(f"model {model.name}: trained on {trained.get('modality', 'unrecorded')} images "
               f"(preset {trained.get('preset_hash', 'unrecorded')}), {bundle.get('n_train', '?')} cases")
    table_meta = {**table_imaging([table]), **({"modality": modality.upper()} if modality else {})}
    for line in imaging_mismatch(trained, table_meta) + [score_warning(pred["score"], pred["threshold"])]:
        if line:
            typer.echo(f"warning: {line}", err=True)
    write_table(pred, out, **({"provenance": bundle["provenance"]} if bundle.get("provenance") else {}))
    typer.echo(f"wrote {out}: {len(pred)} predictions, {int(pred['predicted'].sum())} positive at threshold {pred['threshold'].iloc[0]:.3f}")
